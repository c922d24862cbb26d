"""Wake-ups: queue-core's worker starts jobs on a signal, waiters wake on one.

Real worker processes on real Redis. Each test's worker polls so rarely
(`tests.wakeups`) that a job done within the test's bounds was started by
the enqueue script's wake-up token, and a waiter that returns before its
next read was woken by the finish script's announcement; arq's enqueues and
arq's workers, which send no signals, still work through polling.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from redis.asyncio import Redis

from queue_core import EmbeddedRedis, JobMetadata, JobSpec, RedisArqQueue
from queue_core._redis_store import SCRIPTS
from queue_core._signals import LISTENING_SUFFIX, WAKE_SUFFIX
from tests.conftest import WorkerProcess, start_worker, started_redis
from tests.wakeups import POLL_DELAY_ENV, nap

pytestmark = [pytest.mark.worker]

QUEUE = "wakeups"
SETTINGS = "tests.wakeups.SlowPollSettings"
NEVER = {POLL_DELAY_ENV: "60"}
"""A worker environment whose poll never comes within a test."""
WITHIN = 10.0
"""Seconds a signalled job or waiter gets: far below a minute's poll."""

StartWorker = Callable[..., WorkerProcess]


async def _until_listening(redis: Redis, queue_name: str = QUEUE) -> None:
    async with asyncio.timeout(WITHIN):
        while not await redis.exists(queue_name + LISTENING_SUFFIX):
            await asyncio.sleep(0.02)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def worker_on(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start queue-core workers on a given server; all stopped afterwards."""
    started: list[WorkerProcess] = []

    def start(url: str, env: dict[str, str]) -> WorkerProcess:
        worker = start_worker(
            url, QUEUE, tmp_path, settings_path=SETTINGS, env=env, program="queue-core"
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "queue_core", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_job_enqueued_through_queue_core_starts_well_inside_poll_delay(
    redis_queue: RedisArqQueue, redis: Redis, arq_worker: StartWorker
) -> None:
    arq_worker(QUEUE, settings_path=SETTINGS, program="queue-core")  # polls every 5 s
    await _until_listening(redis)

    for _ in range(5):
        job = await redis_queue.enqueue("linger", 0, _queue_name=QUEUE)
        # Each within half of a 5 s poll: five in a row cannot all be polls.
        result = await redis_queue.wait_for_result(job, timeout=2.5)
        assert result.result == job.id


async def test_a_job_enqueued_by_arq_still_runs_at_the_next_poll(
    redis_settings: RedisSettings, redis: Redis, arq_worker: StartWorker
) -> None:
    arq_worker(QUEUE, settings_path=SETTINGS, program="queue-core")
    await _until_listening(redis)
    pool: ArqRedis = await create_pool(redis_settings, default_queue_name=QUEUE)
    try:
        job = await pool.enqueue_job("linger", 0, _queue_name=QUEUE)
        assert job is not None
        assert not await redis.exists(QUEUE + WAKE_SUFFIX)  # arq sends no token
        assert await job.result(timeout=15, poll_delay=0.05) == job.job_id
    finally:
        await pool.aclose()


async def test_every_way_to_enqueue_wakes_the_worker_long_before_its_poll(
    redis_queue: RedisArqQueue,
    redis: Redis,
    redis_url: str,
    arq_worker: StartWorker,
) -> None:
    arq_worker(QUEUE, settings_path=SETTINGS, program="queue-core", env=NEVER)
    await _until_listening(redis)

    single = await redis_queue.enqueue("linger", 0, _queue_name=QUEUE)
    typed = await redis_queue.enqueue(nap.options(queue_name=QUEUE))
    batch = await redis_queue.enqueue_many(
        [JobSpec("linger", (0,)) for _ in range(3)], queue_name=QUEUE
    )
    printed = run_cli(
        "enqueue", "linger", "0", "--queue", QUEUE, "--redis-url", redis_url, "--json"
    )
    assert printed.returncode == 0, printed.stderr
    by_cli = json.loads(printed.stdout)["id"]

    jobs = [
        single.id,
        typed.id,
        *(job.id for job in batch if isinstance(job, JobMetadata)),
        by_cli,
    ]
    assert len(jobs) == 6
    for job_id in jobs:
        result = await redis_queue.wait_for_result(job_id, QUEUE, timeout=WITHIN)
        assert result.result == job_id


async def test_a_deferred_job_starts_at_its_time_without_a_poll(
    redis_queue: RedisArqQueue, redis: Redis, arq_worker: StartWorker
) -> None:
    arq_worker(QUEUE, settings_path=SETTINGS, program="queue-core", env=NEVER)
    await _until_listening(redis)
    due = datetime.now(UTC) + timedelta(seconds=1)

    job = await redis_queue.enqueue("linger", 0, _queue_name=QUEUE, _defer_until=due)
    result = await redis_queue.wait_for_result(job, timeout=WITHIN)

    assert result.start_time >= due - timedelta(milliseconds=5)


async def test_a_waiter_wakes_when_queue_core_finishes_the_job_not_at_its_next_read(
    redis_queue: RedisArqQueue, redis: Redis, arq_worker: StartWorker
) -> None:
    arq_worker(QUEUE, settings_path=SETTINGS, program="queue-core")
    await _until_listening(redis)
    job = await redis_queue.enqueue("linger", 0.3, _queue_name=QUEUE)

    # The first read finds the job running; the next would come after the
    # timeout: only the worker's announcement can end the wait in time.
    result = await redis_queue.wait_for_result(job, timeout=WITHIN, poll_interval=60)

    assert result.result == job.id


async def test_a_waiter_still_gets_a_result_from_arqs_worker_by_polling(
    redis_queue: RedisArqQueue, arq_worker: StartWorker
) -> None:
    arq_worker(
        QUEUE, settings_path=SETTINGS, program="arq", env={POLL_DELAY_ENV: "0.05"}
    )
    job = await redis_queue.enqueue("linger", 0.2, _queue_name=QUEUE)

    result = await redis_queue.wait_for_result(job, timeout=WITHIN, poll_interval=0.05)

    assert result.result == job.id


async def _claims_during(
    server: EmbeddedRedis, action: Callable[[], Awaitable[None]]
) -> int:
    """How many times workers ran the claim script while ``action`` ran."""
    claim_sha = SCRIPTS[0].sha
    monitor_client = Redis.from_url(server.url)
    seen: list[str] = []
    try:
        async with monitor_client.monitor() as monitor:

            async def record() -> None:
                async for command in monitor.listen():  # until cancelled
                    seen.append(str(command.get("command", "")))  # noqa: PERF401

            recording = asyncio.create_task(record())
            await asyncio.sleep(0.2)
            await action()
            await asyncio.sleep(0.5)  # any other woken worker claims by now
            recording.cancel()
    finally:
        await monitor_client.aclose()
    return sum(1 for line in seen if line.startswith(f"EVALSHA {claim_sha}"))


@pytest.mark.slow
async def test_one_enqueue_wakes_one_idle_worker_not_the_whole_fleet(
    worker_on: Callable[..., WorkerProcess],
) -> None:
    with started_redis(tcp=True) as server:
        client = Redis.from_url(server.url)
        try:
            for _ in range(3):
                worker_on(server.url, NEVER)
            async with asyncio.timeout(WITHIN):
                while (
                    sum(
                        1 for c in await client.client_list() if c.get("cmd") == "blpop"
                    )
                    < 3
                ):
                    await asyncio.sleep(0.05)
            queue = await RedisArqQueue.from_url(server.url, default_queue_name=QUEUE)
            async with queue:

                async def one_job() -> None:
                    job = await queue.enqueue("linger", 0)
                    await queue.wait_for_result(job, timeout=WITHIN)

                claims = await _claims_during(server, one_job)
        finally:
            await client.aclose()

    assert claims == 1


async def test_a_lost_wake_up_only_delays_a_job_to_the_next_poll(
    redis_queue: RedisArqQueue, redis: Redis, arq_worker: StartWorker
) -> None:
    arq_worker(
        QUEUE, settings_path=SETTINGS, program="queue-core", env={POLL_DELAY_ENV: "1"}
    )
    await _until_listening(redis)
    # Every connection of the worker dropped (its wait for a token too), and
    # no token sent: the job waits for the worker's next look.
    await redis.client_kill_filter(_type="normal", skipme=True)
    await redis.delete(QUEUE + LISTENING_SUFFIX)
    job = await redis_queue.enqueue("linger", 0, _queue_name=QUEUE)

    result = await redis_queue.wait_for_result(job, timeout=WITHIN)

    assert result.result == job.id
