"""Redis restarts under a running queue-core worker."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from queue_core import JobSpec, RedisArqQueue
from queue_core._embedded import free_loopback_port
from tests import workers
from tests.conftest import WorkerProcess, started_redis
from tests.reliability.conftest import crash
from tests.worker.conftest import WAIT, settings, until

pytestmark = [pytest.mark.worker, pytest.mark.redis, pytest.mark.slow]

QUEUE = "tests:worker:restart"
JOBS = 300
OUTAGE_S = 1.0
"""How long Redis stays down: jobs (of 0.1 s) end while it is."""


@pytest.mark.parametrize("how", ["stopped", "killed"])
async def test_the_worker_rides_out_a_redis_restart_losing_no_job_running_none_twice(
    how: str, tmp_path: Path, arq_worker: Callable[..., WorkerProcess]
) -> None:
    journal = tmp_path / "journal.txt"
    journal.touch()
    with started_redis(
        port=free_loopback_port(), directory=tmp_path / "data", appendonly=True
    ) as server:
        async with await RedisArqQueue.from_url(server.url) as queue:
            enqueued = await queue.enqueue_many(
                [JobSpec("journal_run", (0.1,))] * JOBS, queue_name=QUEUE
            )
        ids = {job.id for job in enqueued if not isinstance(job, Exception)}
        worker = arq_worker(
            QUEUE,
            settings_path=settings("JournalSettings"),
            program="queue-core",
            url=server.url,
            env={workers.JOURNAL_ENV: str(journal)},
        )

        async def some_ran() -> bool:
            return len(journal.read_text().splitlines()) >= JOBS // 5

        await until(some_ran)
        if how == "killed":
            crash(server)
        server.stop()
        await asyncio.sleep(OUTAGE_S)
        server.start()
        client = Redis.from_url(server.url)
        try:

            async def all_finished() -> bool:
                return not await client.zcard(QUEUE) and not await client.keys(
                    "arq:in-progress:*"
                )

            await until(all_finished, timeout=2 * WAIT)
            results = await client.keys("arq:result:*")
        finally:
            await client.aclose()
        async with await RedisArqQueue.from_url(server.url) as queue:
            outcomes = [await queue.get_job_result(job_id, QUEUE) for job_id in ids]

    runs = Counter(journal.read_text().splitlines())
    assert len(ids) == JOBS
    assert {job_id for job_id, count in runs.items() if count > 1} == set()
    assert set(runs) == ids
    assert len(results) == JOBS
    assert all(outcome.success for outcome in outcomes)
    assert worker.process.poll() is None
    assert "redis unavailable" in worker.log()
