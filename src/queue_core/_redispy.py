"""What differs between the redis-py versions we support (5.3 to 8), in one place.

arq caps redis-py below 6; we run on 5.3 to 8 and behave the same on each.
Where redis-py changed what it does, this module says so and picks the
behaviour by `REDIS_PY`, the installed version; where it only changed a
default, we pass the old default explicitly. tests/test_redispy.py checks
that the private API `_wire` calls still has the shape this module expects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

import redis
import redis.retry
from redis.asyncio.connection import AbstractConnection
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = [
    "PINNED_OPTIONS",
    "REDIS_PY",
    "after_failed_try",
    "no_retry",
    "no_sync_retry",
    "retried_errors",
]


def _major_minor(version: str) -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", version)
    if found is None:
        msg = f"unreadable redis-py version {version!r}"
        raise ImportError(msg)
    return int(found[1]), int(found[2])


REDIS_PY: Final = _major_minor(redis.__version__)
"""The installed redis-py's major and minor version."""

PINNED_OPTIONS: Final[dict[str, Any]] = {
    # redis-py 8 speaks RESP3 unless told (a HELLO, then on TCP a CLIENT
    # MAINT_NOTIFICATIONS, on every new connection); 5.3 to 7 speak RESP2.
    # Our scripts' replies read the same in both; the handshake does not.
    "protocol": 2,
    # redis-py 8 bounds every send and read with a 5 s socket timeout unless
    # told; 5.3 to 7 with none. Our calls are bounded by their Deadlines.
    "socket_timeout": None,
}
"""Connection options whose default changed, set to the 5.3 to 7 default."""


def no_retry() -> Retry:
    """No retries, where redis-py 5.3 retries nothing by default.

    Since 6.0 a client made without a ``retry`` retries 3 times (10 since 8.0)
    with backoff; redis-py 8 exempts the clients of `Sentinel` again.
    """
    return Retry(NoBackoff(), 0)


def no_sync_retry() -> redis.retry.Retry:
    """`no_retry`, for a blocking client."""
    return redis.retry.Retry(NoBackoff(), 0)


def retried_errors(
    retry: Retry, retry_on_error: Iterable[type[Exception]], *, on_timeout: bool
) -> list[type[Exception]]:
    """A ``retry_on_error`` for which every redis-py retries the same errors.

    redis-py 6+ retries what the `Retry` supports (``retry_on_error`` is added
    to it); 5.3 only those of them that ``retry_on_error`` lists as well. Both
    retry the union when ``retry_on_error`` lists it all. ``on_timeout`` is
    ``retry_on_timeout``, deprecated since redis-py 6: its errors are listed
    here instead.
    """
    errors = [*retry_on_error, *retry._supported_errors]  # noqa: SLF001 - see tests/test_redispy.py
    if on_timeout:
        errors += [RedisTimeoutError, TimeoutError]
    return list(dict.fromkeys(errors))


if REDIS_PY < (6, 0):

    async def after_failed_try(
        connection: AbstractConnection, error: Exception
    ) -> None:
        """`Retry.call_with_retry`'s ``fail``, as redis-py 5.3's ``_disconnect_raise``.

        The connection is dropped; the error is raised, ending the retries,
        unless the connection's ``retry_on_error`` lists it.
        """
        await connection.disconnect()
        retry_on = connection.retry_on_error
        if not retry_on or not isinstance(error, tuple(retry_on)):
            raise error

else:

    async def after_failed_try(
        connection: AbstractConnection, error: Exception
    ) -> None:
        """`Retry.call_with_retry`'s ``fail``, as redis-py 6+'s ``_close_connection``.

        The connection is dropped; the `Retry` alone decides what is retried
        (since redis-py 6.0 its supported errors include ``retry_on_error``).
        """
        del error
        await connection.disconnect()
