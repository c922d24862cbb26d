"""Redis goes away, freezes or crashes while a queue is in use."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from queue_core import (
    ArqQueue,
    EmbeddedArqQueue,
    EmbeddedRedis,
    JobMetadata,
    JobSpec,
    RedisArqQueue,
)
from tests.reliability.conftest import HANG_GUARD, SOCKET_TIMEOUT, crash, paused

pytestmark = pytest.mark.redis

PAUSED_GUARD = 5 * SOCKET_TIMEOUT
"""Seconds after which a call to a frozen server counts as hung."""


Call = Callable[[], Awaitable[object]]


def _every_call(queue: ArqQueue, job_id: str) -> dict[str, Call]:
    """Each queue operation once, on an existing job where it takes one."""
    return {
        "enqueue": lambda: queue.enqueue("echo", "during"),
        "enqueue_many": lambda: queue.enqueue_many([JobSpec("echo", ("during",))]),
        "get_job_metadata": lambda: queue.get_job_metadata(job_id),
        "get_job_result": lambda: queue.get_job_result(job_id),
        "wait_for_result": lambda: queue.wait_for_result(job_id),
        "abort_job": lambda: queue.abort_job(job_id),
        "list_jobs": queue.list_jobs,
        "queue_depth": queue.queue_depth,
        "ping": queue.ping,
    }


async def _errors(calls: dict[str, Call], guard: float) -> dict[str, RedisError]:
    """Run each call; return the Redis error each raised.

    A call that returns is a test failure, and one that outlives ``guard``
    seconds raises `TimeoutError` out of here: it hung.
    """
    errors: dict[str, RedisError] = {}
    for name, call in calls.items():
        async with asyncio.timeout(guard):
            try:
                outcome = await call()
            except RedisError as error:
                errors[name] = error
            else:
                pytest.fail(f"{name} returned {outcome!r} with Redis down")
    return errors


async def test_every_call_fails_at_once_naming_host_and_port_while_redis_is_down(
    restartable_redis: EmbeddedRedis,
) -> None:
    server = restartable_redis
    queue = await RedisArqQueue.from_url(server.url)
    async with queue:
        job = await queue.enqueue("echo", "before")
        server.stop()
        errors = await _errors(_every_call(queue, job.id), HANG_GUARD)

    address = f"127.0.0.1:{server.port}"
    assert {name: type(error) for name, error in errors.items()} == dict.fromkeys(
        errors, RedisConnectionError
    )
    assert {
        name: f"connecting to {address}. Connect call failed" in str(error)
        for name, error in errors.items()
    } == dict.fromkeys(errors, True)


async def test_the_same_queue_works_again_once_redis_restarts_on_its_port(
    restartable_redis: EmbeddedRedis,
) -> None:
    server = restartable_redis
    queue = await RedisArqQueue.from_url(server.url)
    async with queue:
        await queue.enqueue("echo", "before")
        server.stop()
        with pytest.raises(RedisConnectionError):
            await queue.ping()
        server.start()
        after = await queue.enqueue("echo", "after")
        read_back = await queue.get_job_metadata(after.id)

    assert read_back == after


async def test_a_restart_while_the_queue_is_idle_is_invisible_to_the_next_calls(
    restartable_redis: EmbeddedRedis,
) -> None:
    server = restartable_redis
    queue = await RedisArqQueue.from_url(server.url)
    async with queue:
        # Several pooled connections, all of them dropped by the restart.
        await asyncio.gather(*(queue.ping() for _ in range(5)))
        server.stop()
        server.start()
        jobs = await asyncio.gather(*(queue.enqueue("echo", n) for n in range(5)))

    assert [job.args for job in jobs] == [(n,) for n in range(5)]


@pytest.mark.slow
async def test_a_frozen_redis_makes_each_call_fail_after_the_socket_timeout(
    restartable_redis: EmbeddedRedis,
) -> None:
    server = restartable_redis
    queue = await RedisArqQueue.from_url(
        f"{server.url}?socket_timeout={SOCKET_TIMEOUT}"
    )
    async with queue:
        job = await queue.enqueue("echo", "before")
        with paused(server):
            errors = await _errors(_every_call(queue, job.id), PAUSED_GUARD)
        after = await queue.enqueue("echo", "after")

    assert isinstance(after, JobMetadata)
    assert {name: type(error) for name, error in errors.items()} == dict.fromkeys(
        errors, RedisTimeoutError
    )
    assert {name: str(error) for name, error in errors.items()} == dict.fromkeys(
        errors,
        f"Timeout reading from 127.0.0.1:{server.port} after {SOCKET_TIMEOUT:g}s",
    )


@pytest.mark.slow
async def test_an_enqueue_that_timed_out_but_landed_is_refused_when_retried(
    restartable_redis: EmbeddedRedis,
) -> None:
    server = restartable_redis
    queue = await RedisArqQueue.from_url(
        f"{server.url}?socket_timeout={SOCKET_TIMEOUT}"
    )
    async with queue:
        await queue.ping()
        with paused(server):
            async with asyncio.timeout(PAUSED_GUARD):
                with pytest.raises(RedisTimeoutError):
                    await queue.enqueue("echo", "first", _job_id="report-7")
        # Redis ran the command it had received once it woke up.
        landed = await queue.get_job_metadata("report-7")
        retried = await queue.enqueue_many(
            [JobSpec("echo", ("second",), job_id="report-7")]
        )

    assert landed.args == ("first",)
    assert [str(outcome) for outcome in retried] == [
        "Job was not queued because it already exists. id=report-7"
    ]


async def test_an_embedded_queue_works_again_once_its_server_restarts_in_place(
    short_dir: Path,
) -> None:
    queue = await EmbeddedArqQueue.start(server=EmbeddedRedis(directory=short_dir))
    async with queue:
        socket_path = queue.server.unix_socket_path
        await queue.enqueue("echo", "before")
        queue.server.stop()
        async with asyncio.timeout(HANG_GUARD):
            with pytest.raises(RedisConnectionError) as error:
                await queue.enqueue("echo", "during")
        queue.server.start()
        after = await queue.enqueue("echo", "after")
        read_back = await queue.get_job_metadata(after.id)

    assert f"connecting to {socket_path}. No such file" in str(error.value)
    assert read_back == after


async def test_jobs_acknowledged_by_an_append_only_redis_survive_its_crash(
    short_dir: Path,
) -> None:
    with EmbeddedRedis(directory=short_dir, appendonly=True) as server:
        queue = await RedisArqQueue.initialize(server.redis_settings)
        async with queue:
            single = await queue.enqueue("echo", "single", _defer_by=3600)
            batch = await queue.enqueue_many(
                [JobSpec("echo", (n,), kwargs={"k": "v"}) for n in range(100)]
            )
            crash(server)
            server.start()
            acknowledged = [single, *batch]
            survivors = [
                await queue.get_job_metadata(job.id)
                for job in acknowledged
                if isinstance(job, JobMetadata)
            ]

    assert survivors == acknowledged
