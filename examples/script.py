"""Enqueue a job from a plain asyncio script and wait for its result.

By default the script starts a private redis-server and an in-process
worker (embedded mode), so ``uv run python examples/script.py 2 3`` runs
with nothing else installed. With ``--redis-url`` it uses that Redis, where
a worker must run::

    REDIS_URL=redis://localhost:6379/0 uv run arq examples.script.WorkerSettings
    uv run python examples/script.py 2 3 --redis-url redis://localhost:6379/0
"""

import argparse
import asyncio
import os
from typing import Any

from queue_core import ArqMode, build_arq_redis_settings, open_arq_queue, task
from queue_core import WorkerSettings as QueueWorkerSettings


@task
async def add(ctx: dict[Any, Any], a: int, b: int) -> int:  # noqa: ARG001 - arq passes ctx to every task
    """Add two numbers, slowly enough to be worth a queue in real life."""
    return a + b


WorkerSettings = QueueWorkerSettings(
    functions=[add],
    redis_settings=build_arq_redis_settings(
        os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    ),
    poll_delay=0.05,
)
"""The worker: run by ``arq examples.script.WorkerSettings``, or embedded."""


async def run(a: int, b: int, redis_url: str | None) -> int:
    """Enqueue ``add(a, b)``, wait for it and return the sum."""
    if redis_url is None:
        opening = open_arq_queue(ArqMode.embedded, worker_settings=WorkerSettings)
    else:
        opening = open_arq_queue(
            ArqMode.production, redis_settings=build_arq_redis_settings(redis_url)
        )
    async with opening as queue:  # opened here, closed on the way out
        job = await queue.enqueue(add, a, b)  # checked: add takes two ints
        print(f"Queued job {job.id}")
        result = await queue.wait_for_result(job, timeout=60)
        print(f"{job.name}({a}, {b}) = {result.result}")
        return result.result  # an int, as add returns


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(description="Add two numbers on an arq worker.")
    parser.add_argument("a", type=int)
    parser.add_argument("b", type=int)
    parser.add_argument(
        "--redis-url",
        help="a Redis with a worker for add (default: embedded Redis and worker)",
    )
    arguments = parser.parse_args()
    asyncio.run(run(arguments.a, arguments.b, arguments.redis_url))


if __name__ == "__main__":
    main()
