"""An app run on redis-py 6+, over arq's cap: a worker's settings and a client.

tests/test_redis_override.py copies it into a fresh project, as
docs/index.md sets one up, then runs ``arq override_app.WorkerSettings`` and
``python override_app.py``, which prints the result, redis-py's version and
whether hiredis (arq's parser) is installed.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
from typing import Any

import redis

from queue_core import RedisArqQueue, build_arq_redis_settings
from queue_core import WorkerSettings as QueueWorkerSettings

REDIS_SETTINGS = build_arq_redis_settings(os.environ["REDIS_URL"])


async def add(ctx: dict[Any, Any], a: int, b: int) -> int:  # noqa: ARG001 - arq's ctx
    """A task for arq's worker."""
    return a + b


WorkerSettings = QueueWorkerSettings(functions=[add], redis_settings=REDIS_SETTINGS)


async def main() -> None:
    """Enqueue a job, wait for the worker's result, print it."""
    async with await RedisArqQueue.initialize(REDIS_SETTINGS) as queue:
        job = await queue.enqueue("add", 19, 23)
        result = await queue.wait_for_result(job.id, timeout=60)
    found = {
        "result": result.result,
        "redis": redis.__version__,
        "hiredis": importlib.util.find_spec("hiredis") is not None,
    }
    print(json.dumps(found))  # noqa: T201


if __name__ == "__main__":
    asyncio.run(main())
