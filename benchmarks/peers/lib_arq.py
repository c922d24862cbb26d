"""arq 0.28: the job, the worker settings, and arq's own client.

The worker is arq's command line, ``python -m arq
benchmarks.peers.lib_arq.WorkerSettings``; queue-core's worker runs the same
settings (``python -m queue_core worker ...``). Everything is arq's default
except ``max_jobs`` (the workload's concurrency) and, for the second arq row,
``poll_delay``.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.jobs import Job
from arq.worker import Worker

from benchmarks.peers import jobs

DISTRIBUTIONS = ("arq", "redis", "hiredis")
TASK = "work"


async def work(ctx: dict[Any, Any], tag: int, seconds: float) -> list[float]:  # noqa: ARG001
    """The benchmark job (`benchmarks.peers.jobs.work`)."""
    return await jobs.work(tag, seconds)


def _poll_delay() -> float:
    """arq's default ``poll_delay``, unless the harness sets one."""
    delay = os.environ.get(jobs.POLL_DELAY_ENV)
    default = inspect.signature(Worker).parameters["poll_delay"].default
    return float(delay or default)


class WorkerSettings:
    """arq's settings class: the job, the Redis, the concurrency, the poll delay."""

    functions = (work,)
    redis_settings = RedisSettings.from_dsn(jobs.redis_url())
    max_jobs = jobs.concurrency()
    poll_delay = _poll_delay()


class ArqClient:
    """arq's client: ``ArqRedis.enqueue_job`` and ``Job.result()``."""

    def __init__(self, pool: ArqRedis) -> None:
        self.pool = pool

    async def fill(self, count: int, seconds: float) -> None:
        """arq has no batch call; queue-core's writes the same keys and bytes."""
        from benchmarks.peers.lib_queue_core import fill  # noqa: PLC0415

        await fill(self.pool, count, seconds)

    async def submit(self, tag: int) -> Job:
        """``enqueue_job``: WATCH, EXISTS, MULTI/EXEC."""
        job = await self.pool.enqueue_job(TASK, tag, 0.0)
        if job is None:
            msg = f"job {tag} was not enqueued"
            raise RuntimeError(msg)
        return job

    async def wait(self, handle: Job, timeout: float) -> list[float]:
        """``Job.result()`` with its default ``poll_delay`` (0.5 s)."""
        result: list[float] = await handle.result(timeout=timeout)
        return result


@asynccontextmanager
async def client(url: str) -> AsyncIterator[ArqClient]:
    """arq's pool on the benchmark's Redis."""
    pool = await create_pool(RedisSettings.from_dsn(url))
    try:
        yield ArqClient(pool)
    finally:
        await pool.aclose()
