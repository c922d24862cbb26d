"""Bounded calls at a tiny cost: a few shared timers instead of one per call.

redis-py's ``socket_timeout`` wraps every send in `asyncio.wait_for` (a Task
per command on Python 3.11) and every read in a timer; at thousands of calls
a second, with each timer living for seconds, that costs a quarter of the
client's throughput. Here calls are grouped by when they are due, in slots
of ``resolution`` seconds, and one timer per slot cancels whatever in it is
still running. A call is thus bounded by ``seconds`` (plus at most one
``resolution``).
"""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Final

from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["Deadlines", "address_of", "timeout_error"]

_RESOLUTION: Final = 0.05

_Token = tuple[set["asyncio.Task[object]"], "asyncio.Task[object] | None"]
"""What `Deadlines.enter` registered: the slot's tasks and the running task."""


def timeout_error(address: str, seconds: float) -> RedisTimeoutError:
    """The error for a call that Redis did not answer in time."""
    return RedisTimeoutError(f"Timeout reading from {address} after {seconds:g}s")


def address_of(connection_pool: object) -> str:
    """Where a redis-py pool connects, for messages (never credentials)."""
    service = getattr(connection_pool, "service_name", None)
    if service:
        return f"the Sentinel master {service!r}"
    options: dict[str, object] = getattr(connection_pool, "connection_kwargs", {})
    if "path" in options:
        return str(options["path"])
    return f"{options.get('host', 'localhost')}:{options.get('port', 6379)}"


class Deadlines:
    """Cancels calls that outlive ``seconds``, and says which it cancelled.

    Args:
        seconds: How long a call may take.
        address: What the calls talk to, for the error message.
    """

    __slots__ = ("_address", "_expired", "_slots", "seconds")

    def __init__(self, seconds: float, address: str) -> None:
        self.seconds = seconds
        self._address = address
        self._slots: dict[
            tuple[asyncio.AbstractEventLoop, int], set[asyncio.Task[object]]
        ] = {}
        self._expired: set[asyncio.Task[object]] = set()

    def enter(self) -> _Token:
        """Register the running task; pass the result to `leave`."""
        loop = asyncio.get_running_loop()
        slot = (loop, int((loop.time() + self.seconds) / _RESOLUTION) + 1)
        tasks = self._slots.get(slot)
        if tasks is None:
            tasks = self._slots[slot] = set()
            loop.call_at(slot[1] * _RESOLUTION, self._expire, slot)
        task = asyncio.current_task()
        if task is not None:
            tasks.add(task)
        return tasks, task

    def leave(self, token: _Token) -> None:
        """Unregister the running task: its call is over."""
        tasks, task = token
        if task is None:
            return
        tasks.discard(task)
        if task in self._expired:
            # Cancelled as the call finished, and the cancellation was lost.
            self._expired.discard(task)
            task.uncancel()

    def timed_out(self) -> RedisTimeoutError | None:
        """The error to raise instead of a `asyncio.CancelledError`, if ours.

        Undoes our cancellation of the running task, so that the task can
        go on; a cancellation from anyone else is left alone (`None`).
        """
        task = asyncio.current_task()
        if task is None or task not in self._expired:
            return None
        self._expired.discard(task)
        task.uncancel()
        return timeout_error(self._address, self.seconds)

    def bound(self) -> _Bound:
        """``async with deadlines.bound():`` around one call."""
        return _Bound(self)

    def _expire(self, slot: tuple[asyncio.AbstractEventLoop, int]) -> None:
        for task in self._slots.pop(slot, ()):
            if not task.done():
                self._expired.add(task)
                task.cancel()


class _Bound:
    """One call under a `Deadlines`: a timeout becomes `RedisTimeoutError`."""

    __slots__ = ("_deadlines", "_token")

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines

    async def __aenter__(self) -> None:
        self._token = self._deadlines.enter()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        error = None
        if exc_type is not None and issubclass(exc_type, asyncio.CancelledError):
            error = self._deadlines.timed_out()
        self._deadlines.leave(self._token)
        if error is not None:
            raise error from None
