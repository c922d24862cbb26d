"""Fixtures for tests/worker: each program, arq's own client, and waiting."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Final, cast

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.jobs import Job

from tests.conftest import run_worker_to_exit

PROGRAMS: Final = ("arq", "queue-core")
"""arq's ``arq`` command and ``queue-core worker``, on the same settings."""

WAIT: Final = 30.0
"""Longest a test waits for a worker to do something, in seconds."""

_LOG_LINE: Final = re.compile(r"^\d\d:\d\d:\d\d: (.*)$")
"""A line of arq's default log format: ``HH:MM:SS: message``."""


@pytest.fixture(params=PROGRAMS)
def program(request: pytest.FixtureRequest) -> str:
    """The test runs once with arq's worker and once with queue-core's."""
    return str(request.param)


@pytest.fixture
async def arq_redis(redis_settings: RedisSettings) -> AsyncIterator[ArqRedis]:
    """arq's own client on the suite's (emptied) Redis."""
    pool = await create_pool(redis_settings)
    try:
        yield pool
    finally:
        await pool.aclose()


async def enqueue(
    redis: ArqRedis,
    function: str,
    *args: object,
    queue_name: str,
    job_id: str | None = None,
    **kwargs: Any,
) -> Job:
    """Enqueue a job with arq's own client."""
    job = await redis.enqueue_job(
        function, *args, _queue_name=queue_name, _job_id=job_id, **kwargs
    )
    assert job is not None, f"job {job_id} exists"
    return job


async def list_items(redis: ArqRedis, key: str) -> list[str]:
    """A Redis list's items, decoded (what the tasks recorded)."""
    items = await cast("Awaitable[list[bytes]]", redis.lrange(key, 0, -1))
    return [item.decode() for item in items]


def settings(name: str) -> str:
    """The import path of tests/worker/settings.py's ``name``."""
    return f"tests.worker.settings.{name}"


async def until(check: Callable[[], Awaitable[object]], timeout: float = WAIT) -> None:
    """Return once ``check()`` is true; `TimeoutError` after ``timeout``."""
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.02)


async def run_to_exit(
    redis_url: str,
    queue_name: str,
    settings_name: str,
    *flags: str,
    program: str,
) -> subprocess.CompletedProcess[str]:
    """Run a worker with tests/worker/settings.py's ``settings_name`` and
    ``flags`` until it exits by itself."""
    return await asyncio.to_thread(
        run_worker_to_exit,
        redis_url,
        queue_name,
        settings(settings_name),
        timeout=WAIT,
        program=program,
        flags=flags,
    )


def log_messages(output: str) -> list[str]:
    """The messages of the log records in a worker's output, in order
    (their continuation lines, as tracebacks, left out)."""
    return [
        found.group(1)
        for found in map(_LOG_LINE.match, output.splitlines())
        if found is not None
    ]


def without_times(messages: Sequence[str]) -> list[str]:
    """Log messages with arq's durations (``  0.01s``) made ``<t>s``."""
    return [re.sub(r"\d+\.\d\ds", "<t>s", message).strip() for message in messages]
