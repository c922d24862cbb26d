"""The Redis password never shows in a repr, a log line or an error."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from redis.asyncio.sentinel import MasterNotFoundError
from redis.exceptions import AuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError

from queue_core import EmbeddedRedis, RedisArqQueue, build_arq_redis_settings
from queue_core._embedded import free_loopback_port
from tests.reliability.conftest import (
    MASTER,
    SECRET,
    SentinelCluster,
    exception_chain,
    failure_of,
    resource_warnings,
)

pytestmark = pytest.mark.redis

ONE_RETRY = "conn_retries=1&conn_retry_delay=0"
"""Retry once, so the retry's log line is checked too."""


@dataclass(frozen=True)
class Failure:
    """A URL with the password in it, and how connecting to it must fail."""

    url: str
    error: type[Exception]
    message: str


async def _redis_down(_: pytest.FixtureRequest) -> Failure:
    port = free_loopback_port()
    return Failure(
        f"redis://:{SECRET}@127.0.0.1:{port}/0?{ONE_RETRY}",
        RedisConnectionError,
        f"connecting to 127.0.0.1:{port}. Connect call failed",
    )


async def _sentinels_down(_: pytest.FixtureRequest) -> Failure:
    ports = [free_loopback_port(), free_loopback_port()]
    hosts = ",".join(f"127.0.0.1:{port}" for port in ports)
    return Failure(
        f"redis+sentinel://:{SECRET}@{hosts}/{MASTER}?{ONE_RETRY}",
        MasterNotFoundError,
        f"No master found for {MASTER!r}",
    )


async def _wrong_password(request: pytest.FixtureRequest) -> Failure:
    server = EmbeddedRedis(tcp=True, extra_args=["--requirepass", "other"])
    request.addfinalizer(server.stop)
    server.start()
    return Failure(
        f"redis://:{SECRET}@127.0.0.1:{server.port}/0?{ONE_RETRY}",
        AuthenticationError,
        "invalid username-password pair or user is disabled.",
    )


async def _wrong_password_behind_sentinel(request: pytest.FixtureRequest) -> Failure:
    start: Callable[..., SentinelCluster] = request.getfixturevalue("sentinel_cluster")
    cluster = start(replicas=0, sentinels=1, quorum=1, password="other")
    return Failure(
        cluster.url(SECRET, f"?{ONE_RETRY}"),
        AuthenticationError,
        "invalid username-password pair or user is disabled.",
    )


async def _malformed_url(_: pytest.FixtureRequest) -> Failure:
    return Failure(
        f"redis+sentinel://:{SECRET}@127.0.0.1:port/{MASTER}",
        ValueError,
        "Redis Sentinel URL needs host:port pairs separated by commas",
    )


SCENARIOS: dict[str, Callable[[pytest.FixtureRequest], Awaitable[Failure]]] = {
    "redis refuses connections": _redis_down,
    "no sentinel answers": _sentinels_down,
    "redis refuses the password": _wrong_password,
    "the master behind the sentinels refuses it": _wrong_password_behind_sentinel,
    "the url is malformed": _malformed_url,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
async def test_the_password_never_leaks_and_nothing_stays_open_when_connecting_fails(
    scenario: str,
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failure = await SCENARIOS[scenario](request)
    for logger in ("arq", "redis", "queue_core"):
        caplog.set_level(logging.DEBUG, logger=logger)

    with resource_warnings() as unclosed:
        error = await failure_of(lambda: RedisArqQueue.from_url(failure.url), caplog)

    logged = caplog.text

    assert isinstance(error, failure.error)
    assert failure.message in str(error)
    chain = exception_chain(error)
    assert [e for e in chain if SECRET in f"{e} {e!r} {e.args!r}"] == []
    assert SECRET not in logged
    if failure.error is not ValueError:
        assert "1 retries remaining" in logged
        settings_repr = repr(build_arq_redis_settings(failure.url))
        assert SECRET not in settings_repr
        assert "password='**********'" in settings_repr
    assert unclosed == []
