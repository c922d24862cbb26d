"""streaq 7: the job, the worker, and streaq's client (run in streaq's virtualenv).

The worker is ``streaq run benchmarks.peers.lib_streaq:worker``. Everything
is streaq's default (its asyncio backend without uvloop, its logging,
prefetch, pickle) except ``concurrency``, the workload's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from streaq import Worker

from benchmarks.peers import jobs

DISTRIBUTIONS = ("streaq", "coredis", "anyio")
BATCH = 1000
"""Tasks per `Worker.enqueue_many` call when filling the queue."""

worker = Worker(redis_url=jobs.redis_url(), concurrency=jobs.concurrency())


@worker.task  # type: ignore[untyped-decorator]
async def work(tag: int, seconds: float) -> list[float]:
    """The benchmark job (`benchmarks.peers.jobs.work`)."""
    return await jobs.work(tag, seconds)


class StreaqClient:
    """streaq's client: ``task.enqueue(...)`` and ``Task.result()``."""

    async def fill(self, count: int, seconds: float) -> None:
        """`Worker.enqueue_many` (one pipeline a call), as streaq's benchmark."""
        for first in range(0, count, BATCH):
            await worker.enqueue_many(
                [
                    work.enqueue(tag, seconds)
                    for tag in range(first, min(first + BATCH, count))
                ]
            )

    async def submit(self, tag: int) -> Any:
        """``await work.enqueue(...)``."""
        return await work.enqueue(tag, 0.0)

    async def wait(self, handle: Any, timeout: float) -> list[float]:
        """``Task.result()``: the result key, else its pub/sub channel."""
        result: list[float] = (await handle.result(timeout=timeout)).result
        return result


@asynccontextmanager
async def client(url: str) -> AsyncIterator[StreaqClient]:  # noqa: ARG001 - the worker's
    """The worker object's async context: streaq's client connection."""
    async with worker:
        yield StreaqClient()
