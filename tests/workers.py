"""Worker functions and settings the suite runs in real arq worker processes.

Started as ``python -m arq tests.workers.WorkerSettings`` with the Redis URL
and queue name in the environment. The settings at the end (`RunSettings`,
`OneAtATimeSettings`, `ForgetfulSettings`) are what the conformance suite
runs with `MockArqQueue.run_jobs` and, alike, in real workers; their hooks
write what happens to the journal file named in the environment.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from arq.worker import Function, Retry, func

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
JOURNAL_ENV = "QUEUE_CORE_TEST_WORKER_JOURNAL"
RUN_QUEUE = "tests:run"
"""The queue of the run settings: no other worker serves it."""
BRIEFLY_KEPT_S = 1.5
"""``keep_result`` of the ``echo_briefly_kept`` function."""


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


# Run by MockArqQueue.run_jobs and by real workers alike.


def _note(event: str, ctx: dict[Any, Any]) -> None:
    """Append ``event job_id`` to the journal, if the environment names one."""
    journal = os.environ.get(JOURNAL_ENV)
    if journal is not None:
        with Path(journal).open("a") as lines:
            lines.write(f"{event} {ctx.get('job_id', '-')}\n")


def read_journal() -> list[str]:
    """The journal's lines: what the hooks saw, in order."""
    return Path(os.environ[JOURNAL_ENV]).read_text().splitlines()


async def on_startup(ctx: dict[Any, Any]) -> None:
    """Leave a mark in ctx for `read_ctx`."""
    ctx["started_by"] = "on_startup"
    _note("startup", ctx)


async def on_shutdown(ctx: dict[Any, Any]) -> None:
    _note("shutdown", ctx)


async def failing_startup(ctx: dict[Any, Any]) -> None:
    """An ``on_startup`` whose resource is not there."""
    _note("startup", ctx)
    msg = "the database is down"
    raise RuntimeError(msg)


async def on_job_start(ctx: dict[Any, Any]) -> None:
    _note("job_start", ctx)


async def on_job_end(ctx: dict[Any, Any]) -> None:
    _note("job_end", ctx)


async def after_job_end(ctx: dict[Any, Any]) -> None:
    _note("after_job_end", ctx)


async def read_ctx(ctx: dict[Any, Any]) -> dict[str, Any]:
    """What the worker put in ctx, Redis connection aside."""
    return {
        "job_id": ctx["job_id"],
        "job_try": ctx["job_try"],
        "enqueue_time": ctx["enqueue_time"],
        "score": ctx["score"],
        "started_by": ctx.get("started_by"),
        "greeting": ctx.get("greeting"),
        "has_redis": "redis" in ctx,
    }


async def retry_once(ctx: dict[Any, Any], defer: float) -> int:
    """Ask for a retry ``defer`` seconds later on the first try; return the try."""
    if ctx["job_try"] == 1:
        raise Retry(defer=defer)
    return int(ctx["job_try"])


async def always_retry(ctx: dict[Any, Any]) -> None:
    """Ask for a retry at once, every time."""
    raise Retry


RUN_FUNCTIONS: list[Function | Callable[..., Coroutine[Any, Any, Any]]] = [
    echo,
    fail,
    sleep,
    read_ctx,
    retry_once,
    func(always_retry, name="retry_at_most_twice", max_tries=2),
    func(sleep, name="sleep_briefly", timeout=0.2),
    func(echo, name="echo_forgotten", keep_result=0),
    func(echo, name="echo_kept_forever", keep_result=0, keep_result_forever=True),
    func(echo, name="echo_briefly_kept", keep_result=BRIEFLY_KEPT_S),
]

_RUN_REDIS = build_arq_redis_settings(
    os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
)
_RUN_QUEUE_NAME = os.environ.get(QUEUE_ENV, RUN_QUEUE)

RunSettings = QueueWorkerSettings(
    functions=RUN_FUNCTIONS,
    redis_settings=_RUN_REDIS,
    queue_name=_RUN_QUEUE_NAME,
    allow_abort_jobs=True,
    poll_delay=0.05,
    max_tries=3,
    on_startup=on_startup,
    on_shutdown=on_shutdown,
    on_job_start=on_job_start,
    on_job_end=on_job_end,
    after_job_end=after_job_end,
    ctx={"greeting": "from the settings"},
)
"""Our typed settings, with every hook, aborts allowed and three tries."""


FailingStartupSettings = QueueWorkerSettings(
    functions=RUN_FUNCTIONS,
    redis_settings=_RUN_REDIS,
    queue_name=_RUN_QUEUE_NAME,
    on_startup=failing_startup,
    on_shutdown=on_shutdown,
)
"""Settings whose ``on_startup`` raises."""


class OneAtATimeSettings:
    """arq's plain class form: one job at a time, a short timeout, no aborts."""

    functions = (echo, sleep)
    redis_settings = _RUN_REDIS
    queue_name = _RUN_QUEUE_NAME
    max_jobs = 1
    job_timeout = 0.5
    allow_abort_jobs = False
    poll_delay = 0.05
    on_job_start = on_job_start


ForgetfulSettings: dict[str, Any] = {
    "functions": [echo, fail],
    "redis_settings": _RUN_REDIS,
    "queue_name": _RUN_QUEUE_NAME,
    "keep_result": 0,
    "poll_delay": 0.05,
}
"""arq's dict form: no result is kept, not even a failure's."""
