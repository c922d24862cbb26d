"""A queue-core worker's record of itself in Redis, for `ArqQueue.list_workers`."""

from __future__ import annotations

import time
from typing import Final

from arq.utils import timestamp_ms

from ._redis import RedisArqQueue, Script
from ._runner import JobRunner
from ._signals import WORKER_SUFFIX, WORKERS_SUFFIX
from ._workers import BEAT_INTERVAL_S, worker_record, worker_ttl_ms

__all__ = ["WorkerBeat"]

# Write a worker's record and list it in its queue's index, scored by when
# the record expires; drop expired ids; keep the index as long as its
# longest-lived record. KEYS: index, record. ARGV: id, record, ttl ms, now.
_BEAT: Final = Script(
    """
local ttl, now = tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
"""
)

# A worker that stops leaves the listing. KEYS: index, record. ARGV: id.
_LEAVE: Final = Script(
    """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
"""
)


class WorkerBeat:
    """Keeps a worker's record fresh from its loop, and removes it at the end.

    Args:
        queue: The worker's connection.
        worker_id: The worker's id.
        queue_name: The queue it serves.
        poll_delay_s: How often the worker's loop runs at the least, which
            bounds how long the record must live between two beats.
    """

    def __init__(
        self,
        queue: RedisArqQueue,
        worker_id: str,
        *,
        queue_name: str,
        poll_delay_s: float,
    ) -> None:
        self._queue = queue
        self._id = worker_id.encode()
        self._keys = (
            (queue_name + WORKERS_SUFFIX).encode(),
            (queue_name + WORKER_SUFFIX + worker_id).encode(),
        )
        self._ttl_ms = worker_ttl_ms(poll_delay_s)
        self._started_ms = timestamp_ms()
        self._last = float("-inf")

    async def beat(self, runner: JobRunner, *, now: bool = False) -> None:
        """Rewrite the record, unless it was less than a second ago.

        Args:
            runner: The worker's runner, for its counts.
            now: Rewrite it even so (the health-check record is due).
        """
        moment = time.monotonic()
        if not now and moment - self._last < BEAT_INTERVAL_S:
            return
        self._last = moment
        now_ms = timestamp_ms()
        record = worker_record(
            self._id.decode(),
            started_ms=self._started_ms,
            beat_ms=now_ms,
            running=sum(not task.done() for task in runner.tasks.values()),
            complete=runner.jobs_complete,
            failed=runner.jobs_failed,
            retried=runner.jobs_retried,
        )
        args = (self._id, record, b"%d" % self._ttl_ms, b"%d" % now_ms)
        await self._queue._run(_BEAT, self._keys, args)  # noqa: SLF001 - the worker's own queue

    async def leave(self) -> None:
        """Remove the record: the worker stops."""
        await self._queue._run(_LEAVE, self._keys, (self._id,))  # noqa: SLF001
