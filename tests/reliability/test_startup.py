"""Redis is down or frozen when the app starts: one clear error, nothing left open."""

from __future__ import annotations

import asyncio
import logging

import pytest
from asgi_lifespan import LifespanManager
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.applications import Starlette

from queue_core import ArqMode, EmbeddedRedis, build_arq_redis_settings, open_arq_queue
from queue_core._embedded import free_loopback_port
from queue_starlette import arq_lifespan
from tests.reliability.conftest import (
    SOCKET_TIMEOUT,
    failure_of,
    paused,
    resource_warnings,
)

RETRIES = 2
"""``conn_retries`` in these tests: attempts after the first one."""

PAUSED_GUARD = 5 * SOCKET_TIMEOUT
"""Seconds after which a one-try startup against a frozen server has hung."""


def _down_url(port: int, retries: int = RETRIES) -> str:
    return (
        f"redis://127.0.0.1:{port}/0?conn_retries={retries}&conn_retry_delay=0"
        f"&socket_timeout={SOCKET_TIMEOUT}"
    )


async def test_open_arq_queue_gives_up_after_its_retries_naming_host_and_port(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_loopback_port()
    settings = build_arq_redis_settings(_down_url(port))
    caplog.set_level(logging.WARNING)

    with resource_warnings() as unclosed:
        error = await failure_of(
            lambda: open_arq_queue(ArqMode.production, redis_settings=settings), caplog
        )

    assert type(error) is RedisConnectionError
    assert f"connecting to 127.0.0.1:{port}. Connect call failed" in str(error)
    retries = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == RETRIES
    assert all(f"redis connection error 127.0.0.1:{port}" in r for r in retries)
    assert unclosed == []


async def test_an_app_whose_redis_is_down_fails_to_start_with_one_clear_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_loopback_port()
    app = Starlette(
        lifespan=arq_lifespan(
            mode=ArqMode.production,
            redis_settings=build_arq_redis_settings(_down_url(port)),
        )
    )

    async def start_app() -> None:
        async with LifespanManager(app):
            pytest.fail("the app started without its Redis")

    with resource_warnings() as unclosed:
        error = await failure_of(start_app, caplog)

    assert type(error) is RedisConnectionError
    assert f"connecting to 127.0.0.1:{port}. Connect call failed" in str(error)
    assert not hasattr(app.state, "arq_queue")
    assert unclosed == []


@pytest.mark.redis
@pytest.mark.slow
async def test_startup_against_a_frozen_redis_fails_after_the_socket_timeout(
    restartable_redis: EmbeddedRedis,
) -> None:
    server = restartable_redis
    assert server.port is not None
    settings = build_arq_redis_settings(_down_url(server.port, retries=0))

    with paused(server), resource_warnings() as unclosed:
        async with asyncio.timeout(PAUSED_GUARD):
            with pytest.raises(RedisTimeoutError) as error:
                await open_arq_queue(ArqMode.production, redis_settings=settings)

    assert (
        str(error.value)
        == f"Timeout reading from 127.0.0.1:{server.port} after {SOCKET_TIMEOUT:g}s"
    )
    assert unclosed == []
