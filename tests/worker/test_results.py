"""Jobs the worker runs, as arq's own client and queue-core's read them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from arq.connections import ArqRedis
from arq.constants import job_key_prefix
from arq.jobs import Job, JobStatus, SerializationError
from arq.utils import timestamp_ms

from queue_core import RedisArqQueue
from tests import workers
from tests.conftest import WorkerProcess
from tests.worker.conftest import WAIT, enqueue, until

pytestmark = pytest.mark.worker

QUEUE = "tests:worker:results"


async def test_arqs_job_reads_the_results_of_jobs_arqs_client_enqueued(
    program: str, arq_redis: ArqRedis, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker(QUEUE, program=program)
    added = await enqueue(arq_redis, "add", 1, b=2, queue_name=QUEUE)
    failed = await enqueue(arq_redis, "fail", "boom", queue_name=QUEUE)

    assert await added.result(timeout=WAIT, poll_delay=0.02) == 3
    with pytest.raises(workers.TaskFailedError, match=r"^boom$"):
        await failed.result(timeout=WAIT, poll_delay=0.02)
    assert await added.status() is JobStatus.complete
    info = await added.result_info()
    assert info is not None
    assert (
        info.function,
        info.args,
        info.kwargs,
        info.job_try,
        info.success,
        info.result,
        info.queue_name,
        info.job_id,
    ) == ("add", (1,), {"b": 2}, 1, True, 3, QUEUE, added.job_id)
    assert info.enqueue_time <= info.start_time <= info.finish_time
    failure = await failed.result_info()
    assert failure is not None
    assert (failure.function, failure.success) == ("fail", False)


async def test_arqs_job_sees_a_running_job_in_progress_and_aborts_it(
    program: str, arq_redis: ArqRedis, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker(QUEUE, program=program)
    job = await enqueue(arq_redis, "sleep", 60, queue_name=QUEUE)

    async def in_progress() -> bool:
        return await job.status() is JobStatus.in_progress

    await until(in_progress)
    aborted = await job.abort(timeout=WAIT, poll_delay=0.02)

    assert aborted is True
    assert await job.status() is JobStatus.complete
    info = await job.result_info()
    assert info is not None
    assert info.success is False
    assert isinstance(info.result, asyncio.CancelledError)


async def test_a_corrupt_payload_fails_its_job_and_the_worker_runs_the_next_one(
    program: str,
    arq_redis: ArqRedis,
    redis_queue: RedisArqQueue,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    await arq_redis.set(job_key_prefix + "spoiled", b"written by something else")
    await arq_redis.zadd(QUEUE, {"spoiled": timestamp_ms()})
    worker = arq_worker(QUEUE, program=program)
    after = await redis_queue.enqueue("echo", "next", _queue_name=QUEUE)

    finished = await redis_queue.wait_for_result(after.id, QUEUE, timeout=WAIT)
    assert finished.result == "next"
    spoiled = await redis_queue.get_job_result("spoiled", QUEUE)
    assert spoiled.success is False
    assert isinstance(spoiled.result, SerializationError)
    assert str(spoiled.result) == "unable to deserialize job"
    info = await Job("spoiled", arq_redis, _queue_name=QUEUE).result_info()
    assert info is not None
    assert (info.success, info.function, info.job_try) == (False, "<unknown>", 1)
    assert await arq_redis.zscore(QUEUE, "spoiled") is None
    assert worker.process.poll() is None
    assert "deserializing job spoiled failed" in worker.log()
