"""Waking result waiters when a queue-core worker announces a finished job."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ._signals import DONE_SUFFIX

__all__ = ["FinishedJobs", "JobWaiters"]

logger = logging.getLogger(__name__)

_SUBSCRIBE_TIMEOUT_S: Final = 1.0
"""Longest a waiter waits for its queue's subscription before it just polls."""

_RECONNECT_PAUSE_S: Final = 0.5

_UNAVAILABLE: Final = (RedisConnectionError, RedisTimeoutError, TimeoutError, OSError)


class JobWaiters:
    """The events of the waits on each job, set when the job finishes."""

    def __init__(self) -> None:
        self._events: dict[str, set[asyncio.Event]] = {}

    @contextlib.contextmanager
    def watch(self, job_id: str) -> Iterator[asyncio.Event]:
        """An event that `wake` sets for this job while the block runs."""
        event = asyncio.Event()
        self._events.setdefault(job_id, set()).add(event)
        try:
            yield event
        finally:
            waiting = self._events.get(job_id)
            if waiting is not None:
                waiting.discard(event)
                if not waiting:
                    del self._events[job_id]

    def wake(self, job_id: str) -> None:
        """Wake every wait on this job: it finished (or vanished)."""
        for event in self._events.get(job_id, ()):
            event.set()


class FinishedJobs:
    """One pub/sub connection that wakes a queue's result waiters.

    Opened on the first wait and subscribed once to each waited-on queue's
    done channel (see `_signals`), whatever the number of waiters: a reader
    task wakes the waiters of each announced job id. arq's workers announce
    nothing and a dropped connection misses announcements, so waiters keep
    a bounded fallback poll; this only makes them wake sooner.

    Args:
        redis: The client whose pool lends the pub/sub connection.
        slots: The queue's connection slots, if its pool is bounded: the
            pub/sub connection holds one for as long as it is open. `None`
            with a bounded pool too small to spare one turns this off.
        enabled: `False` to only ever poll.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        slots: asyncio.Semaphore | None = None,
        enabled: bool = True,
    ) -> None:
        self._redis = redis
        self._slots = slots
        self._holding_slot = False
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._subscribed: dict[bytes, asyncio.Future[None]] = {}
        self._waiters = JobWaiters()
        self._closed = not enabled

    @contextlib.asynccontextmanager
    async def watch(self, queue_name: str, job_id: str) -> AsyncIterator[asyncio.Event]:
        """An event set when a worker announces that this job finished.

        The queue's channel is subscribed before the block runs, so a job
        that finishes after the caller's next read is never missed (unless
        the subscription failed: then the event is simply never set).
        """
        with self._waiters.watch(job_id) as event:
            if not self._closed:
                with contextlib.suppress(*_UNAVAILABLE):
                    async with asyncio.timeout(_SUBSCRIBE_TIMEOUT_S):
                        await self._subscribe((queue_name + DONE_SUFFIX).encode())
            yield event

    async def _subscribe(self, channel: bytes) -> None:
        confirmed = self._subscribed.get(channel)
        if confirmed is None or (confirmed.done() and confirmed.exception()):
            confirmed = asyncio.get_running_loop().create_future()
            self._subscribed[channel] = confirmed
            if self._pubsub is None:
                if self._slots is not None and not self._holding_slot:
                    await self._slots.acquire()
                    self._holding_slot = True
                self._pubsub = self._redis.pubsub()
            try:
                await self._pubsub.subscribe(channel)
            except BaseException:
                del self._subscribed[channel]
                raise
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(
                    self._read(self._pubsub), name="queue-core finished jobs"
                )
        await asyncio.shield(confirmed)

    async def _read(self, pubsub: PubSub) -> None:
        """Wake the waiters of each announced job, until closed."""
        while True:
            try:
                async for message in pubsub.listen():
                    self._dispatch(message)
            except _UNAVAILABLE as exc:
                # redis-py subscribes again when it reconnects; meanwhile the
                # waiters poll.
                logger.debug("result announcements interrupted: %s", exc)
                await asyncio.sleep(_RECONNECT_PAUSE_S)
            else:
                return  # nothing subscribed any more

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind in {"message", b"message"}:
            data = message["data"]
            self._waiters.wake(data.decode() if isinstance(data, bytes) else str(data))
        elif kind in {"subscribe", b"subscribe"}:
            confirmed = self._subscribed.get(message["channel"])
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(None)

    async def aclose(self) -> None:
        """Stop reading and give the connection back."""
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        if self._holding_slot and self._slots is not None:
            self._slots.release()
            self._holding_slot = False
        for confirmed in self._subscribed.values():
            if not confirmed.done():
                confirmed.cancel()
