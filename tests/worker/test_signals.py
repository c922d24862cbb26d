"""Stopping a worker: by SIGTERM or SIGINT as arq 0.28 stops, and by SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import pytest
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix, retry_key_prefix
from arq.jobs import Job, JobStatus

from tests.conftest import WorkerProcess
from tests.worker.conftest import (
    WAIT,
    enqueue,
    list_items,
    log_messages,
    run_to_exit,
    settings,
    until,
    without_times,
)
from tests.worker.settings import LEASE_JOB_TIMEOUT_S, TRIES_KEY_PREFIX

pytestmark = pytest.mark.worker

QUEUE = "tests:worker:signals"

LEASE_MS = (LEASE_JOB_TIMEOUT_S + 10) * 1000
"""arq's in-progress key lifetime: the longest job timeout plus 10 s."""


async def _tries(redis: ArqRedis, job: Job) -> list[int]:
    """The tries `slow_first_try` has started, in order."""
    return [int(t) for t in await list_items(redis, TRIES_KEY_PREFIX + job.job_id)]


async def _started(redis: ArqRedis, job: Job, tries: int = 1) -> None:
    async def started() -> bool:
        return len(await _tries(redis, job)) >= tries

    await until(started)


async def _running(
    redis: ArqRedis,
    start: Callable[..., WorkerProcess],
    settings_name: str,
    program: str,
    *,
    seconds: float = 60,
    queue_name: str = QUEUE,
) -> tuple[Job, WorkerProcess]:
    """A worker and the `slow_first_try` job it has started (which sleeps
    ``seconds`` on its first try)."""
    job = await enqueue(redis, "slow_first_try", seconds, queue_name=queue_name)
    worker = start(queue_name, settings_path=settings(settings_name), program=program)
    await _started(redis, job)
    return job, worker


async def _next_try(redis_url: str, program: str, job: Job) -> object:
    """Run the queue in a burst: the job's result, now."""
    again = await run_to_exit(
        redis_url, QUEUE, "SignalSettings", "--burst", program=program
    )
    assert again.returncode == 0, again.stderr
    return await job.result(timeout=0)


async def _stopped(worker: WorkerProcess) -> int:
    return await asyncio.to_thread(worker.process.wait, WAIT)


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name
)
async def test_a_stop_signal_cancels_the_running_job_which_stays_queued_for_a_next_try(
    program: str,
    signum: signal.Signals,
    redis_url: str,
    arq_redis: ArqRedis,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    job, worker = await _running(arq_redis, arq_worker, "SignalSettings", program)

    worker.process.send_signal(signum)

    assert await _stopped(worker) == 0
    assert await job.status() is JobStatus.queued
    assert await arq_redis.get(retry_key_prefix + job.job_id) == b"1"
    assert not await arq_redis.exists(in_progress_key_prefix + job.job_id)
    assert without_times(log_messages(worker.log()))[-2:] == [
        (
            f"shutdown on {signum.name} ◆ 0 jobs complete ◆ 0 failed ◆ 0 retries ◆ "
            "1 ongoing to cancel"
        ),
        f"<t>s ↻ {job.job_id}:slow_first_try cancelled, will be run again",
    ]
    assert await _next_try(redis_url, program, job) == 2
    assert await _tries(arq_redis, job) == [1, 2]


async def test_job_completion_wait_lets_running_jobs_finish_and_no_new_one_start(
    program: str, arq_redis: ArqRedis, arq_worker: Callable[..., WorkerProcess]
) -> None:
    job, worker = await _running(
        arq_redis, arq_worker, "PatientSettings", program, seconds=1.5
    )

    worker.process.send_signal(signal.SIGTERM)
    await until(
        lambda: asyncio.to_thread(
            lambda: "Setting allow_pick_jobs to `False`" in worker.log()
        )
    )
    late = await enqueue(arq_redis, "echo", "late", queue_name=QUEUE)

    assert await _stopped(worker) == 0
    assert await job.result(timeout=0) == 1
    assert await late.status() is JobStatus.queued
    assert without_times(log_messages(worker.log()))[-4:] == [
        "Setting allow_pick_jobs to `False`",
        (
            "shutdown on SIGTERM ◆ 0 jobs complete ◆ 0 failed ◆ 0 retries ◆ "
            "1 to be completed"
        ),
        f"<t>s ← {job.job_id}:slow_first_try ● 1",
        (
            "shutdown on SIGTERM, wait complete ◆ 1 jobs complete ◆ 0 failed ◆ "
            "0 retries ◆ 0 ongoing to cancel"
        ),
    ]


async def test_a_job_outlasting_job_completion_wait_is_cancelled_and_stays_queued(
    program: str,
    redis_url: str,
    arq_redis: ArqRedis,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    job, worker = await _running(arq_redis, arq_worker, "ImpatientSettings", program)

    worker.process.send_signal(signal.SIGTERM)

    assert await _stopped(worker) == 0
    assert await job.status() is JobStatus.queued
    assert without_times(log_messages(worker.log()))[-2:] == [
        (
            "shutdown on SIGTERM, wait complete ◆ 0 jobs complete ◆ 0 failed ◆ "
            "0 retries ◆ 1 ongoing to cancel"
        ),
        f"<t>s ↻ {job.job_id}:slow_first_try cancelled, will be run again",
    ]
    assert await _next_try(redis_url, program, job) == 2


KILLED_AND_RESCUER = [
    ("queue-core", "arq"),
    ("queue-core", "queue-core"),
    ("arq", "queue-core"),
]
"""Which program is killed mid-job, and which runs the job again."""


@pytest.mark.slow
async def test_a_killed_workers_job_runs_again_elsewhere_once_its_lease_ends(
    arq_redis: ArqRedis, arq_worker: Callable[..., WorkerProcess]
) -> None:
    # Each pair on a queue of its own, all at once: the leases run together.
    jobs: dict[tuple[str, str], Job] = {}
    leases: dict[tuple[str, str], int] = {}
    held: dict[tuple[str, str], JobStatus] = {}
    for killed, rescuer in KILLED_AND_RESCUER:
        queue = f"{QUEUE}:{killed}-{rescuer}"
        job, first = await _running(
            arq_redis, arq_worker, "ShortLeaseSettings", killed, queue_name=queue
        )
        leases[killed, rescuer] = await arq_redis.pttl(
            in_progress_key_prefix + job.job_id
        )
        os.kill(first.process.pid, signal.SIGKILL)
        await _stopped(first)
        await arq_redis.delete(f"{queue}:health-check")  # the killed worker's
        arq_worker(queue, settings_path=settings("SignalSettings"), program=rescuer)
        held[killed, rescuer] = await job.status()  # while the lease lasts
        jobs[killed, rescuer] = job

    for pair, job in jobs.items():
        assert LEASE_MS - 2000 < leases[pair] <= LEASE_MS, pair
        assert held[pair] is JobStatus.in_progress, pair
        assert await job.result(timeout=LEASE_MS / 1000 + WAIT, poll_delay=0.1) == 2
        assert await _tries(arq_redis, job) == [1, 2], pair
        info = await job.result_info()
        assert info is not None
        assert info.job_try == 2
