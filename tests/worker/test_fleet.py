"""arq's workers and queue-core's, side by side on one queue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest
from arq.connections import ArqRedis

from queue_core import JobSpec, RedisArqQueue
from tests.conftest import WorkerProcess
from tests.worker.conftest import PROGRAMS, WAIT, list_items, settings, until
from tests.worker.settings import PROGRAM_ENV, RUNS_KEY

pytestmark = [pytest.mark.worker, pytest.mark.slow]

QUEUE = "tests:worker:fleet"
JOBS = 50_000
"""The issue's size: every worker takes many batches."""


async def test_a_mixed_fleet_runs_every_job_exactly_once_and_keeps_every_result(
    arq_redis: ArqRedis,
    redis_queue: RedisArqQueue,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    for program in PROGRAMS * 2:
        arq_worker(
            QUEUE,
            settings_path=settings("FleetSettings"),
            program=program,
            env={PROGRAM_ENV: program},
        )

    enqueued = await redis_queue.enqueue_many(
        [JobSpec("record_run")] * JOBS, queue_name=QUEUE
    )

    async def all_done() -> bool:
        return not await arq_redis.zcard(QUEUE)

    await until(all_done, timeout=3 * WAIT)
    ids = [job.id for job in enqueued if not isinstance(job, Exception)]
    runs = [run.split() for run in await list_items(arq_redis, RUNS_KEY)]
    by_job = Counter(job_id for job_id, _ in runs)
    results = await arq_redis.all_job_results()

    assert len(ids) == JOBS
    assert {job_id for job_id, count in by_job.items() if count > 1} == set()
    assert set(by_job) == set(ids)
    assert {result.job_id: result.result for result in results} == {
        job_id: job_id for job_id in ids
    }
    assert all(result.success and result.job_try == 1 for result in results)
    assert {program for _, program in runs} == set(PROGRAMS)
