"""Cron jobs made with arq's ``cron()``, run by either worker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from itertools import pairwise

import pytest
from arq.connections import ArqRedis
from arq.constants import result_key_prefix
from arq.cron import next_cron
from arq.jobs import Job, JobStatus
from arq.utils import ms_to_datetime, timestamp_ms, to_unix_ms

from tests.conftest import WorkerProcess
from tests.worker.conftest import PROGRAMS, WAIT, list_items, settings, until
from tests.worker.settings import STARTUPS_KEY, TICKS_KEY

pytestmark = pytest.mark.worker

QUEUE = "tests:worker:cron"
TICK_KEEP_MS = 30_000
"""How long `tick`'s results are kept (its ``cron(keep_result=30)``)."""


def _tick_time(job_id: str) -> int:
    """The unix ms a unique cron job's id names: its run's time."""
    name, _, at = job_id.rpartition(":")
    assert name == "cron:tick"
    return int(at)


def _every_second_after(ms: int) -> int:
    """When arq's ``next_cron`` runs `tick` (each second) next after ``ms``."""
    return to_unix_ms(next_cron(ms_to_datetime(ms), second=set(range(60))))


async def _ticks(redis: ArqRedis) -> list[tuple[str, int]]:
    """Each `tick` run: its job id and score."""
    entries = [entry.split() for entry in await list_items(redis, TICKS_KEY)]
    return [(job_id, int(score)) for job_id, score in entries]


async def test_cron_jobs_run_at_startup_and_on_arqs_schedule_keeping_results_as_set(
    program: str, arq_redis: ArqRedis, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker(QUEUE, settings_path=settings("CronSettings"), program=program)

    async def ran() -> bool:
        return bool(
            await list_items(arq_redis, STARTUPS_KEY) and await _ticks(arq_redis)
        )

    await until(ran)
    startups = await list_items(arq_redis, STARTUPS_KEY)
    (tick_id, score), *_ = await _ticks(arq_redis)
    tick = Job(tick_id, arq_redis, _queue_name=QUEUE)
    # The tick notes itself before it returns: its result comes just after.
    ticked = await tick.result(timeout=WAIT, poll_delay=0.05)
    kept_ms = await arq_redis.pttl(result_key_prefix + tick_id)

    assert len(startups) == 1
    assert startups[0].startswith("cron:at_startup:")
    assert score == _tick_time(tick_id) == _every_second_after(score - 1000)
    assert ticked == "tick"
    assert 0 < kept_ms <= TICK_KEEP_MS
    startup = Job(startups[0], arq_redis, _queue_name=QUEUE)
    assert await startup.result_info() is None  # arq's cron default: none kept
    # arq keeps a cron job's in-progress key a minute after its run.
    assert await startup.status() is JobStatus.in_progress


@pytest.mark.slow
async def test_a_unique_cron_job_runs_once_a_time_on_arqs_and_our_workers_together(
    arq_redis: ArqRedis, arq_worker: Callable[..., WorkerProcess]
) -> None:
    for program in PROGRAMS:
        arq_worker(QUEUE, settings_path=settings("CronSettings"), program=program)
    both_running = timestamp_ms()

    async def ticked_thrice() -> bool:
        ticks = await _ticks(arq_redis)
        return sum(_tick_time(job_id) > both_running for job_id, _ in ticks) >= 3

    await until(ticked_thrice)
    ticks = await _ticks(arq_redis)
    times = sorted(_tick_time(job_id) for job_id, _ in ticks)
    startups = await list_items(arq_redis, STARTUPS_KEY)

    runs = Counter(job_id for job_id, _ in ticks)
    assert {job_id for job_id, count in runs.items() if count > 1} == set()
    assert {later - earlier for earlier, later in pairwise(times)} == {1000}
    assert len(set(startups)) == len(startups) == len(PROGRAMS)  # one each
