"""Worker functions and settings the suite runs in real arq worker processes.

Started as ``python -m arq tests.workers.WorkerSettings`` with the Redis URL
and queue name in the environment.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any

# Every arq task takes ctx first, used or not.
# ruff: noqa: ARG001
from queue_core import WorkerSettings as QueueWorkerSettings
from queue_core import (
    build_arq_redis_settings,
    json_deserializer,
    json_serializer,
    msgpack_deserializer,
    msgpack_serializer,
    task,
)

REDIS_URL_ENV = "QUEUE_CORE_TEST_WORKER_REDIS_URL"
QUEUE_ENV = "QUEUE_CORE_TEST_WORKER_QUEUE"
SERIALIZER_ENV = "QUEUE_CORE_TEST_WORKER_SERIALIZER"


class TaskFailedError(ValueError):
    """Raised on purpose by the ``fail`` task."""


async def echo(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
    """Return the first argument, or all of them."""
    if len(args) == 1 and not kwargs:
        return args[0]
    return {"args": list(args), "kwargs": kwargs}


async def add(ctx: dict[Any, Any], a: int, b: int) -> int:
    """Return a + b."""
    return a + b


async def fail(ctx: dict[Any, Any], message: str) -> None:
    """Raise `TaskFailedError`."""
    raise TaskFailedError(message)


async def sleep(ctx: dict[Any, Any], seconds: float) -> float:
    """Sleep, so a test can see the job in progress or abort it."""
    await asyncio.sleep(seconds)
    return seconds


async def noop(ctx: dict[Any, Any]) -> None:
    """Do nothing, as fast as possible."""


@task
async def multiply(ctx: dict[Any, Any], a: int, b: int) -> int:
    """Return a * b: a typed task, enqueued by reference."""
    return a * b


FUNCTIONS: list[Callable[..., Coroutine[Any, Any, Any]]] = [
    echo,
    add,
    fail,
    sleep,
    noop,
    multiply,
]


def _serializers() -> dict[str, Any]:
    name = os.environ.get(SERIALIZER_ENV, "pickle")
    if name == "msgpack":
        return {
            "job_serializer": msgpack_serializer,
            "job_deserializer": msgpack_deserializer,
        }
    if name == "json":
        return {
            "job_serializer": json_serializer,
            "job_deserializer": json_deserializer,
        }
    return {}


WorkerSettings = QueueWorkerSettings(
    functions=FUNCTIONS,
    redis_settings=build_arq_redis_settings(
        os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
    ),
    queue_name=os.environ.get(QUEUE_ENV, "arq:queue"),
    allow_abort_jobs=True,
    poll_delay=0.05,
    max_jobs=20,
    job_timeout=60,
    **_serializers(),
)
