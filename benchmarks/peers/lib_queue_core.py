"""queue-core: its client (`RedisArqQueue`); its worker runs `lib_arq`'s settings.

The worker is ``python -m queue_core worker
benchmarks.peers.lib_arq.WorkerSettings``: arq's settings, run by
queue-core's worker with its defaults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from arq.connections import ArqRedis

from benchmarks.peers.lib_arq import TASK
from queue_core import JobMetadata, JobSpec, RedisArqQueue, build_arq_redis_settings

DISTRIBUTIONS = ("queue-core", "arq", "redis", "hiredis", "uvloop")
BATCH = 1000
"""Jobs per `enqueue_many` call when filling the queue."""


async def fill(pool: ArqRedis, count: int, seconds: float) -> None:
    """Enqueue ``count`` jobs with queue-core's `enqueue_many`, in batches."""
    queue = RedisArqQueue(pool)
    for first in range(0, count, BATCH):
        specs = [
            JobSpec(TASK, (tag, seconds))
            for tag in range(first, min(first + BATCH, count))
        ]
        await queue.enqueue_many(specs)


class QueueCoreClient:
    """queue-core's client: `enqueue` and `wait_for_result` with its defaults."""

    def __init__(self, queue: RedisArqQueue) -> None:
        self.queue = queue

    async def fill(self, count: int, seconds: float) -> None:
        """`enqueue_many`, in batches."""
        await fill(self.queue.pool, count, seconds)

    async def submit(self, tag: int) -> JobMetadata:
        """`enqueue`: one script call."""
        return await self.queue.enqueue(TASK, tag, 0.0)

    async def wait(self, handle: JobMetadata, timeout: float) -> list[float]:
        """`wait_for_result` with its default ``poll_interval``."""
        result: list[float] = (
            await self.queue.wait_for_result(handle, timeout=timeout)
        ).result
        return result


@asynccontextmanager
async def client(url: str) -> AsyncIterator[QueueCoreClient]:
    """A `RedisArqQueue` on the benchmark's Redis."""
    queue = await RedisArqQueue.initialize(build_arq_redis_settings(url))
    try:
        yield QueueCoreClient(queue)
    finally:
        await queue.aclose()
