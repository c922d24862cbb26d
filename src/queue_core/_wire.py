"""Commands packed once and sent on redis-py's pooled connections.

A one-round-trip call spends most of its client time in redis-py around the
round trip, not in it: `pack_command` encodes every argument, and
`ConnectionPool.get_connection` polls each connection it hands out for
unread data or a closed socket, a read with a zero timeout that costs a
cancelled timer and an extra turn of the event loop. Here a command is
packed by its caller in one pass, and a connection is polled only when it
may have gone stale: when it has sat unused for `IDLE_CHECK` seconds (a
server restart or idle timeout closes such connections). Everything else is
redis-py's: the pool, its connections, their retries and error handling.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Sequence
from typing import Any, Final

from redis.asyncio.connection import (
    AbstractConnection,
    BlockingConnectionPool,
    ConnectionPool,
)
from redis.exceptions import ResponseError

from ._redispy import after_failed_try

__all__ = ["IDLE_CHECK", "CommandSender", "pack_command", "pack_evalsha"]

IDLE_CHECK: Final = 1.0
"""Seconds a connection may sit unused before it is polled, as redis-py would."""


def pack_command(*items: bytes) -> bytes:
    """A command, as Redis reads it off the wire (RESP): an array of strings."""
    return b"".join(
        (
            b"*%d\r\n" % len(items),
            *[b"$%d\r\n%s\r\n" % (len(item), item) for item in items],
        )
    )


class CommandSender:
    """Sends packed commands on a redis-py pool's connections.

    Args:
        connections: The pool. A `BlockingConnectionPool` is asked for each
            connection as redis-py asks it, so that callers wait for one.
    """

    __slots__ = ("_blocking", "_connections", "_last_used")

    def __init__(self, connections: ConnectionPool) -> None:
        self._connections = connections
        self._blocking = isinstance(connections, BlockingConnectionPool)
        self._last_used: weakref.WeakKeyDictionary[AbstractConnection, float] = (
            weakref.WeakKeyDictionary()
        )

    async def send(self, command: bytes) -> Any:
        """Send one packed command and return its reply.

        As the installed redis-py's `execute_command`: retried by the
        connection's `Retry` (see `after_failed_try` for what each version
        retries), an error reply raised as its exception, and a connection
        that failed or was cancelled mid-command disconnected (by redis-py)
        before it returns to the pool.
        """
        connections = self._connections
        connection = await self._connection()
        try:
            reply = await connection.retry.call_with_retry(
                lambda: _round_trip(connection, command),
                lambda error: after_failed_try(connection, error),
            )
        finally:
            await connections.release(connection)
        self._last_used[connection] = time.monotonic()
        return reply

    async def send_many(self, commands: Sequence[bytes]) -> list[Any]:
        """Send packed commands in one write; their replies, in order.

        One round trip for all, on one connection, retried and dropped on
        failure as `send` is; an error reply is returned as its exception
        instead of raised, so one failed command does not hide the others'
        replies.
        """
        connections = self._connections
        connection = await self._connection()
        try:
            replies: list[Any] = await connection.retry.call_with_retry(
                lambda: _round_trips(connection, commands),
                lambda error: after_failed_try(connection, error),
            )
        finally:
            await connections.release(connection)
        self._last_used[connection] = time.monotonic()
        return replies

    async def _connection(self) -> AbstractConnection:
        connections = self._connections
        connection: AbstractConnection
        if self._blocking:
            connection = await connections.get_connection()
            return connection
        # redis-py leaves this public method unannotated.
        connection = connections.get_available_connection()  # type: ignore[no-untyped-call]
        last_used = self._last_used.get(connection)
        if last_used is None or time.monotonic() - last_used > IDLE_CHECK:
            try:
                await connections.ensure_connection(connection)
            except BaseException:
                await connections.release(connection)
                raise
        return connection


def pack_evalsha(sha: bytes, keys: Sequence[bytes], args: Sequence[bytes]) -> bytes:
    """``EVALSHA sha numkeys *keys *args``, packed."""
    return pack_command(b"EVALSHA", sha, b"%d" % len(keys), *keys, *args)


async def _round_trip(connection: AbstractConnection, command: bytes) -> Any:
    await connection.send_packed_command(command)
    return await connection.read_response()


async def _round_trips(
    connection: AbstractConnection, commands: Sequence[bytes]
) -> list[Any]:
    await connection.send_packed_command(b"".join(commands))
    replies: list[Any] = []
    for _ in commands:
        try:
            replies.append(await connection.read_response())
        except ResponseError as error:  # the reply was read whole
            replies.append(error)
    return replies
