"""Load on loopback: several client processes, two workers, a small pool.

The full-size run is ``python -m benchmarks.stress`` (docs/reliability.md);
here its client processes run at a size the suite can afford.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest
from arq.connections import RedisSettings
from benchmarks import stress
from redis.asyncio import Redis

from queue_core import EmbeddedRedis, JobMetadata, RedisArqQueue
from tests.conftest import WorkerProcess

pytestmark = pytest.mark.redis

JOBS = 2_000
CLIENTS = 2
LOAD_QUEUE = "reliability:load"
WAIT = 120.0
"""Longest the clients or the workers may take, in seconds."""


@pytest.mark.slow
@pytest.mark.worker
async def test_jobs_enqueued_from_two_processes_are_each_run_once_by_two_workers(
    redis_url: str,
    redis_settings: RedisSettings,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    workers = [arq_worker(LOAD_QUEUE) for _ in range(2)]
    clients = await asyncio.to_thread(
        stress.run_clients,
        redis_url,
        LOAD_QUEUE,
        jobs=JOBS,
        clients=CLIENTS,
        prefix="load",
        batch=200,
        timeout=WAIT,
    )
    ids = [
        job_id
        for client in clients
        for job_id in stress.job_ids("load", client.index, client.enqueued)
    ]
    queue = await RedisArqQueue.initialize(
        redis_settings, default_queue_name=LOAD_QUEUE
    )
    async with queue:
        await stress.wait_until_drained(queue, timeout=WAIT)
        results, missing = await stress.read_results(queue, ids)
    for worker in workers:
        worker.stop()
    runs = [stress.executions(worker.log()) for worker in workers]

    assert [(c.enqueued, c.refused) for c in clients] == [
        (JOBS // CLIENTS, 0)
    ] * CLIENTS
    assert len(set(ids)) == JOBS
    assert missing == []
    assert {job_id: (r.success, r.result) for job_id, r in results.items()} == {
        job_id: (True, job_id) for job_id in ids
    }
    assert sum(runs, Counter()) == Counter(ids)
    assert all(run.total() for run in runs), "a worker ran no job"


async def test_many_callers_wait_for_three_connections_and_each_gets_its_own_job(
    restartable_redis: EmbeddedRedis,
) -> None:
    server = restartable_redis
    callers = 300
    queue = await RedisArqQueue.from_url(f"{server.url}?max_connections=3")
    async with queue:

        async def caller(n: int) -> tuple[JobMetadata, JobMetadata]:
            enqueued = await queue.enqueue("echo", n, k=str(n), _job_id=f"c-{n}")
            return enqueued, await queue.get_job_metadata(enqueued.id)

        pairs = await asyncio.gather(*(caller(n) for n in range(callers)))
        observer = Redis.from_url(server.url)
        try:
            connections = len(await observer.client_list()) - 1
        finally:
            await observer.aclose()

    assert [(e.id, e.args, e.kwargs) for e, _ in pairs] == [
        (f"c-{n}", (n,), {"k": str(n)}) for n in range(callers)
    ]
    assert [read for _, read in pairs] == [enqueued for enqueued, _ in pairs]
    assert connections <= 3
