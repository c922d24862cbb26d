"""Queue a job and wait for its result, with nothing installed but queue-core."""

import asyncio
from typing import Any

from queue_core import ArqMode, WorkerSettings, open_arq_queue


async def greet(ctx: dict[Any, Any], name: str) -> str:  # noqa: ARG001 - arq passes ctx to every task
    """A task: any coroutine that takes arq's ``ctx`` first."""
    return f"Hello, {name}!"


async def main() -> None:
    # Embedded mode: a private redis-server and an in-process worker.
    settings = WorkerSettings(functions=[greet])
    async with open_arq_queue(ArqMode.embedded, worker_settings=settings) as queue:
        job = await queue.enqueue("greet", "world")
        result = await queue.wait_for_result(job.id, timeout=30)
        print(result.result)


if __name__ == "__main__":
    asyncio.run(main())
