"""saq 0.26: the job, the worker settings, and saq's client (run in saq's virtualenv).

The worker is ``saq benchmarks.peers.lib_saq.settings``. Everything is saq's
default (``Queue.from_url``, its job timeout and retries, its timers) except
``concurrency``, the workload's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from saq import Job, Queue

from benchmarks.peers import jobs
from benchmarks.peers.client import bounded

DISTRIBUTIONS = ("saq", "redis", "hiredis")
TASK = "work"


async def work(ctx: dict[str, Any], *, tag: int, seconds: float) -> list[float]:  # noqa: ARG001
    """The benchmark job (`benchmarks.peers.jobs.work`)."""
    return await jobs.work(tag, seconds)


settings = {
    "queue": Queue.from_url(jobs.redis_url()),
    "functions": [work],
    "concurrency": jobs.concurrency(),
}


class SaqClient:
    """saq's client: ``Queue.enqueue`` and ``Job.refresh(until_complete=...)``."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue

    async def fill(self, count: int, seconds: float) -> None:
        """saq has no batch call: `Queue.enqueue`, 32 in flight."""
        await bounded(
            partial(self.queue.enqueue, TASK, tag=tag, seconds=seconds)
            for tag in range(count)
        )

    async def submit(self, tag: int) -> Job:
        """``Queue.enqueue``."""
        job = await self.queue.enqueue(TASK, tag=tag, seconds=0.0)
        if job is None:
            msg = f"job {tag} was not enqueued"
            raise RuntimeError(msg)
        return job

    async def wait(self, handle: Job, timeout: float) -> list[float]:
        """``Job.refresh(until_complete=...)``: the job, then its pub/sub updates."""
        await handle.refresh(until_complete=timeout)
        result: list[float] = handle.result
        return result


@asynccontextmanager
async def client(url: str) -> AsyncIterator[SaqClient]:
    """A saq `Queue` on the benchmark's Redis."""
    queue = Queue.from_url(url)
    await queue.connect()
    try:
        yield SaqClient(queue)
    finally:
        await queue.disconnect()
