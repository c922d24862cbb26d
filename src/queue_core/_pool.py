"""Connections to Redis: arq's pool, with the settings arq's create_pool drops."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any, Final, cast

from arq.connections import ArqRedis, RedisSettings
from arq.constants import expires_extra_ms as arq_expires_extra_ms
from arq.jobs import Deserializer, Serializer
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from ._config import DEFAULT_SOCKET_TIMEOUT
from ._deadlines import address_of, timeout_error
from ._redispy import PINNED_OPTIONS, no_retry, retried_errors

__all__ = ["DEFAULT_MAX_CONNECTIONS", "close_pool", "open_pool", "socket_timeout_of"]

logger = logging.getLogger(__name__)

DEFAULT_MAX_CONNECTIONS: Final = 50
"""Connections a queue opens at most unless configured; callers beyond wait."""


def _resilient(settings: RedisSettings) -> RedisSettings:
    """Settings with our defaults where the caller left arq's.

    ``retry_on_error`` lists every error to retry (see `retried_errors`),
    those of ``retry_on_timeout`` included.
    """
    retry = settings.retry or Retry(
        NoBackoff(), 1, supported_errors=(RedisConnectionError,)
    )
    return replace(
        settings,
        retry=retry,
        retry_on_error=retried_errors(
            retry,
            settings.retry_on_error or [RedisConnectionError],
            on_timeout=settings.retry_on_timeout,
        ),
        max_connections=settings.max_connections or DEFAULT_MAX_CONNECTIONS,
    )


def socket_timeout_of(redis_settings: RedisSettings) -> float | None:
    """The settings' socket timeout: ours, or the default for arq's settings."""
    timeout: float | None = getattr(
        redis_settings, "socket_timeout", DEFAULT_SOCKET_TIMEOUT
    )
    return timeout


def _new_pool(settings: RedisSettings, socket_timeout: float | None) -> ArqRedis:
    """A pool as arq's create_pool builds it, with what that leaves out.

    arq passes no socket timeout, and for Sentinel no connect timeout, retry
    settings or connection limit either. Options whose default differs
    between redis-py versions are all given (`PINNED_OPTIONS`, and no retries
    for the sentinels), so each version behaves as the others do.
    """
    options: dict[str, Any] = {
        "db": settings.database,
        "username": settings.username,
        "password": settings.password,
        "encoding": "utf8",
        "socket_connect_timeout": settings.conn_timeout,
        "retry": settings.retry,
        "retry_on_error": settings.retry_on_error,
        "max_connections": settings.max_connections,
        **PINNED_OPTIONS,
    }
    tls: dict[str, Any] = {
        "ssl_keyfile": settings.ssl_keyfile,
        "ssl_certfile": settings.ssl_certfile,
        "ssl_cert_reqs": settings.ssl_cert_reqs,
        "ssl_ca_certs": settings.ssl_ca_certs,
        "ssl_ca_data": settings.ssl_ca_data,
        "ssl_check_hostname": settings.ssl_check_hostname,
    }
    if settings.sentinel:
        sentinel = Sentinel(  # type: ignore[no-untyped-call]
            settings.host,
            sentinel_kwargs={
                **PINNED_OPTIONS,
                "socket_timeout": socket_timeout,
                "socket_connect_timeout": settings.conn_timeout,
                "retry": no_retry(),
            },
            ssl=settings.ssl,
            **options,
            **(tls if settings.ssl else {}),
        )
        return cast(
            ArqRedis,
            sentinel.master_for(settings.sentinel_master, redis_class=ArqRedis),
        )
    return ArqRedis(
        host=settings.host,
        port=settings.port,
        unix_socket_path=settings.unix_socket_path,
        ssl=settings.ssl,
        **tls,
        **options,
    )


async def close_pool(pool: ArqRedis) -> None:
    """Close a pool, and for Sentinel its connections to the sentinels too."""
    await pool.aclose()
    manager = getattr(pool.connection_pool, "sentinel_manager", None)
    for sentinel in getattr(manager, "sentinels", ()):
        await sentinel.aclose()


async def open_pool(
    redis_settings: RedisSettings,
    *,
    job_serializer: Serializer | None,
    job_deserializer: Deserializer | None,
    default_queue_name: str,
) -> ArqRedis:
    """Connect as arq's create_pool does, with its retries and log lines.

    Unlike it, the first ping is already bounded by the socket timeout, and
    each pool whose ping failed is closed. Unless the settings say otherwise,
    every command fails after ``socket_timeout`` seconds (5) instead of
    hanging, a command on a connection Redis dropped is retried once on a
    new one, and at most ``max_connections`` (50) connections are opened.
    """
    settings = _resilient(redis_settings)
    socket_timeout = socket_timeout_of(redis_settings)
    attempt = 0
    while True:
        # Commands are bounded by the queue's Deadlines, far cheaper than
        # redis-py's socket_timeout; the sentinels still get one.
        pool = _new_pool(settings, socket_timeout)
        pool.job_serializer = job_serializer
        pool.job_deserializer = job_deserializer
        pool.default_queue_name = default_queue_name
        pool.expires_extra_ms = arq_expires_extra_ms
        try:
            async with asyncio.timeout(socket_timeout):
                await pool.ping()
        except TimeoutError:
            await close_pool(pool)
            address = address_of(pool.connection_pool)
            raise timeout_error(address, socket_timeout or 0) from None
        except (RedisError, OSError) as error:
            await close_pool(pool)
            if attempt >= settings.conn_retries:
                raise
            logger.warning(
                "redis connection error %s:%s %s %s, %d retries remaining...",
                settings.host,
                settings.port,
                type(error).__name__,
                error,
                settings.conn_retries - attempt,
            )
            attempt += 1
            await asyncio.sleep(settings.conn_retry_delay)
        else:
            return pool
