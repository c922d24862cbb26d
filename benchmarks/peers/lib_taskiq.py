"""taskiq 0.13 with taskiq-redis 1.2 (run in taskiq's virtualenv).

The worker is ``taskiq worker benchmarks.peers.lib_taskiq:broker --workers 1
--max-async-tasks 32``: one worker process (taskiq's default is two) running
the workload's concurrency; everything else is taskiq's default, uvloop
included (its command line uses uvloop when installed, and ``taskiq[uv]``
installs it). The broker is taskiq-redis' `RedisStreamBroker` (streams,
with acknowledgements; streaq's benchmark's choice), results in its
`RedisAsyncResultBackend`, both with their defaults.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from taskiq.exceptions import TaskiqResultTimeoutError
from taskiq_redis import RedisAsyncResultBackend, RedisStreamBroker

from benchmarks.peers import jobs
from benchmarks.peers.client import bounded

DISTRIBUTIONS = ("taskiq", "taskiq-redis", "redis", "uvloop")

broker = RedisStreamBroker(jobs.redis_url()).with_result_backend(
    RedisAsyncResultBackend(jobs.redis_url())
)


@broker.task  # type: ignore[untyped-decorator]
async def work(tag: int, seconds: float) -> list[float]:
    """The benchmark job (`benchmarks.peers.jobs.work`)."""
    return await jobs.work(tag, seconds)


class TaskiqClient:
    """taskiq's client: ``task.kiq(...)`` and ``wait_result()``."""

    async def fill(self, count: int, seconds: float) -> None:
        """taskiq has no batch call: ``kiq``, 32 in flight."""
        await bounded(partial(work.kiq, tag, seconds) for tag in range(count))

    async def submit(self, tag: int) -> Any:
        """``kiq``: one XADD."""
        return await work.kiq(tag, 0.0)

    async def wait(self, handle: Any, timeout: float) -> list[float]:
        """``wait_result()`` with its default ``check_interval`` (0.2 s)."""
        try:
            result = await handle.wait_result(timeout=timeout)
        except TaskiqResultTimeoutError as exc:
            raise TimeoutError from exc
        value: list[float] = result.return_value
        return value


@asynccontextmanager
async def client(url: str) -> AsyncIterator[TaskiqClient]:  # noqa: ARG001 - the broker's
    """The broker, started as a client (this declares the consumer group)."""
    await broker.startup()
    try:
        yield TaskiqClient()
    finally:
        await broker.shutdown()
