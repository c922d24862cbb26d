"""Embedded mode by hand: a private redis-server, a queue and a worker on it."""

import asyncio
from typing import Any

from queue_core import EmbeddedArqQueue, EmbeddedRedis, WorkerSettings


async def double(ctx: dict[Any, Any], n: int) -> int:  # noqa: ARG001 - arq passes ctx to every task
    return 2 * n


async def main() -> None:
    # Also listen on a loopback port, so redis-cli or a separate
    # `arq` worker process can connect to the same server.
    server = EmbeddedRedis(tcp=True)
    settings = WorkerSettings(functions=[double], poll_delay=0.05)
    async with await EmbeddedArqQueue.start(
        worker_settings=settings, server=server
    ) as queue:
        print(f"redis-server {server.pid} at {server.url}")
        job = await queue.enqueue("double", 21)
        result = await queue.wait_for_result(job.id, timeout=30)
        print(f"double(21) = {result.result}")
    # Closing the queue stopped the worker, then the server.


if __name__ == "__main__":
    asyncio.run(main())
