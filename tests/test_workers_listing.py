"""Workers' records on Redis: written by real workers, read by list_workers."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Callable
from datetime import datetime

import pytest
from redis.asyncio import Redis

from queue_core import RedisArqQueue, WorkerInfo
from queue_core._signals import WORKER_SUFFIX, WORKERS_SUFFIX
from queue_core._workers import WORKER_TTL_MIN_S, health_worker
from tests.conftest import WorkerProcess

QUEUE = "workers:listing"

pytestmark = pytest.mark.worker


async def _listed(queue: RedisArqQueue, count: int) -> list[WorkerInfo]:
    async with asyncio.timeout(20):
        while len(listed := await queue.list_workers(QUEUE)) != count:
            await asyncio.sleep(0.02)
    return listed


async def test_a_queue_core_worker_is_listed_once_from_its_start_until_it_stops(
    redis_queue: RedisArqQueue, arq_worker: Callable[..., WorkerProcess]
) -> None:
    # Started once its health-check record exists; its own is written first.
    process = await asyncio.to_thread(arq_worker, QUEUE, program="queue-core")

    (worker,) = await redis_queue.list_workers(QUEUE)
    health = await redis_queue.pool.get(f"{QUEUE}:health-check")
    assert worker.kind == "queue-core"
    assert worker.pid == process.process.pid
    assert worker.id.startswith(f"{worker.host}:{worker.pid}:")
    assert health is not None
    # arq's own format, exactly: no mark of its writer.
    assert re.fullmatch(
        r"\w{3}-\d\d \d\d:\d\d:\d\d j_complete=\d+ j_failed=\d+ j_retried=\d+ "
        r"j_ongoing=\d+ queued=\d+",
        health.decode(),
    )

    await asyncio.to_thread(process.stop)

    assert await redis_queue.list_workers(QUEUE) == []
    assert await redis_queue.pool.exists(QUEUE + WORKERS_SUFFIX) == 0


async def test_a_worker_that_died_drops_out_when_its_record_expires(
    redis_queue: RedisArqQueue,
    arq_worker: Callable[..., WorkerProcess],
    redis_url: str,
) -> None:
    process = await asyncio.to_thread(arq_worker, QUEUE, program="queue-core")
    (worker,) = await _listed(redis_queue, 1)
    record = QUEUE + WORKER_SUFFIX + worker.id

    os.kill(process.process.pid, signal.SIGKILL)
    await asyncio.to_thread(process.process.wait)
    ttl_ms = await redis_queue.pool.pttl(record)
    assert 0 < ttl_ms <= WORKER_TTL_MIN_S * 1000
    assert await redis_queue.list_workers(QUEUE) == [worker]
    client = Redis.from_url(redis_url)
    try:
        await client.delete(record)  # what its expiry does, without the wait
    finally:
        await client.aclose()

    assert await redis_queue.list_workers(QUEUE) == []
    assert await redis_queue.pool.zcard(QUEUE + WORKERS_SUFFIX) == 0


async def test_two_queue_core_workers_are_listed_oldest_first(
    redis_queue: RedisArqQueue, arq_worker: Callable[..., WorkerProcess]
) -> None:
    first = await asyncio.to_thread(arq_worker, QUEUE, program="queue-core")
    second = await asyncio.to_thread(arq_worker, QUEUE, program="queue-core")

    listed = await _listed(redis_queue, 2)

    assert [worker.pid for worker in listed] == [
        first.process.pid,
        second.process.pid,
    ]
    assert await redis_queue.list_workers("another:queue") == []


def test_arqs_health_check_record_is_read_as_far_as_arq_writes_it() -> None:
    now = datetime.now().astimezone()
    written = (
        f"{now:%b-%d %H:%M:%S} j_complete=5 j_failed=1 j_retried=2 j_ongoing=3 queued=9"
    )

    worker = health_worker("q", "q:health-check", written.encode())

    assert worker == WorkerInfo(
        id="q:health-check",
        queue_name="q",
        kind="arq",
        host=None,
        pid=None,
        started_at=None,
        last_beat_at=now.replace(microsecond=0),
        running=3,
        complete=5,
        failed=1,
        retried=2,
    )


QUEUE_CORE_HEALTH = (
    "Jan-01 00:00:00 j_complete=1 j_failed=0 j_retried=0 j_ongoing=0 queued=0"
)
"""A health-check record a queue-core worker wrote (its copy says so)."""


@pytest.mark.parametrize(
    "record",
    [
        None,
        b"written by hand",
        QUEUE_CORE_HEALTH.encode(),
    ],
)
def test_a_health_check_record_not_from_arqs_worker_lists_no_arq_worker(
    record: bytes | None,
) -> None:
    assert health_worker("q", "q:health-check", record, QUEUE_CORE_HEALTH) is None
