"""The client side of every library, run as a process in the library's own virtualenv.

``python -m benchmarks.peers.client MODULE COMMAND --output FILE``, where
MODULE is one of the ``lib_*`` modules beside this one and COMMAND is

- ``fill --count N --seconds S``: enqueue N jobs (each sleeps S seconds)
  the library's fastest documented way, and return;
- ``latency --count N --warmup W``: W jobs one at a time (each awaited),
  then N jobs enqueued one after another at random intervals, each with
  its own wait for the result the library's documented way; when each
  enqueue began and when each wait returned is noted;
- ``versions``: the installed versions of the library's distributions.

The answer is written as JSON to FILE. Standard library only, apart from
the library module.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Protocol

from benchmarks.peers.jobs import redis_url

WARMUP_TIMEOUT = 60.0
"""Seconds the first waits may take: the worker may still be starting."""
WAIT_TIMEOUT = 10.0
"""Seconds one measured wait may take before it counts as timed out."""
SPACING = (0.01, 0.03)
"""Seconds between two measured enqueues: at random, between these.

Enqueues arrive at random moments of a polling worker's cycle, as requests
do. Had each waited for the previous job, they would fall in step with it
(a job seen done right after a poll is followed by an enqueue right after
that poll) and a 0.5 s poll would seem to take 0.45 s, not 0.25 s, at the
median. A worker that wakes on enqueue is idle at every one of them.
"""
FILL_IN_FLIGHT = 32
"""Enqueues in flight for libraries without a batch call (streaq's benchmark)."""


class Client(Protocol):
    """What each library module's ``client()`` yields."""

    async def fill(self, count: int, seconds: float) -> None:
        """Enqueue jobs tagged ``0..count-1``, each sleeping ``seconds``."""

    async def submit(self, tag: int) -> Any:
        """Enqueue one no-op job; return what `wait` needs."""

    async def wait(self, handle: Any, timeout: float) -> list[float]:
        """Wait for the job's result (its start and end) the library's way."""


ClientFactory = Callable[[str], AbstractAsyncContextManager[Client]]


async def bounded(calls: Iterable[Callable[[], Awaitable[object]]]) -> None:
    """Run the calls, `FILL_IN_FLIGHT` at a time, as streaq's benchmark does."""
    slots = asyncio.Semaphore(FILL_IN_FLIGHT)

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with slots:
            await call()

    async with asyncio.TaskGroup() as group:
        for call in calls:
            group.create_task(one(call))


async def _fill(factory: ClientFactory, count: int, seconds: float) -> dict[str, Any]:
    async with factory(redis_url()) as client:
        began = time.perf_counter()
        await client.fill(count, seconds)
        return {"seconds": time.perf_counter() - began}


async def _latency(factory: ClientFactory, count: int, warmup: int) -> dict[str, Any]:
    """When each enqueue began and when its wait returned.

    The warm-up jobs go one at a time, so the worker is up, connected and
    idle before the measured ones.
    """
    spacing = random.Random(17)
    enqueued = [0.0] * (warmup + count)
    returned = [0.0] * (warmup + count)
    timed_out: list[int] = []

    async def wait(client: Client, tag: int, handle: Any, timeout: float) -> None:
        try:
            await client.wait(handle, timeout)
        except TimeoutError:
            timed_out.append(tag)
        returned[tag] = time.time()

    async with factory(redis_url()) as client:
        for tag in range(warmup):
            enqueued[tag] = time.time()
            await wait(client, tag, await client.submit(tag), WARMUP_TIMEOUT)
        async with asyncio.TaskGroup() as group:
            for tag in range(warmup, warmup + count):
                await asyncio.sleep(spacing.uniform(*SPACING))
                enqueued[tag] = time.time()
                handle = await client.submit(tag)
                group.create_task(wait(client, tag, handle, WAIT_TIMEOUT))
    return {
        "warmup": warmup,
        "enqueued": enqueued,
        "returned": returned,
        "timed_out": timed_out,
    }


def _versions(distributions: Iterable[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in distributions:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def main() -> None:
    """Run one command for one library and write its answer."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers.client")
    parser.add_argument("module", help="benchmarks.peers.lib_* module")
    parser.add_argument("command", choices=["fill", "latency", "versions"])
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--seconds", type=float, default=0.0)
    options = parser.parse_args()
    library = importlib.import_module(options.module)
    if options.command == "versions":
        answer: dict[str, Any] = _versions(library.DISTRIBUTIONS)
    elif options.command == "fill":
        answer = asyncio.run(_fill(library.client, options.count, options.seconds))
    else:
        answer = asyncio.run(_latency(library.client, options.count, options.warmup))
    options.output.write_text(json.dumps(answer))


if __name__ == "__main__":
    main()
