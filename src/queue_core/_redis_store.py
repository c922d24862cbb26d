"""Jobs on Redis as a `JobStore`: arq's keys, one script per worker step."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Collection
from datetime import datetime
from importlib.resources import files
from typing import Any, Final

from arq.constants import abort_job_max_age, abort_jobs_ss, retry_key_prefix
from arq.utils import timestamp_ms
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError
from redis.exceptions import TimeoutError as RedisTimeoutError
from typing_extensions import override

from ._redis import PREFIXES, RedisArqQueue, Script
from ._signals import DONE_SUFFIX, HEALTH_COPY_SUFFIX, WAKE_SUFFIX
from ._store import Claim, JobStore, enqueue_cron_run
from ._wire import CommandSender, pack_evalsha

__all__ = ["REDIS_UNAVAILABLE", "RETRY_TTL_S", "RedisStore"]

RETRY_TTL_S: Final = 88_400
"""Seconds arq's worker keeps a job's retry counter after each take."""

REDIS_UNAVAILABLE: Final = (
    RedisConnectionError,
    RedisTimeoutError,
    TimeoutError,
    OSError,
)
"""What a step raises while Redis is down, restarting or failing over."""

_SETTLE_FIRST_PAUSE_S: Final = 0.05
_SETTLE_LONGEST_PAUSE_S: Final = 1.0


def _script(name: str) -> Script:
    """A Lua file beside this module, after arq's key names."""
    source = files(__package__).joinpath(name).read_text()
    return Script(
        PREFIXES
        + f"local yp, ab, retry_ttl = '{retry_key_prefix}', '{abort_jobs_ss}', "
        f"{RETRY_TTL_S}\n"
        + f"local wake_key, done_channel = KEYS[1] .. '{WAKE_SUFFIX}', "
        f"KEYS[1] .. '{DONE_SUFFIX}'\n" + source
    )


_CLAIM: Final = _script("_worker_claim.lua")
_FINISH: Final = _script("_worker_finish.lua")
SCRIPTS: Final = (_CLAIM, _FINISH)


logger = logging.getLogger("arq.worker")


def _number(value: int | None) -> bytes:
    return b"-" if value is None else b"%d" % value


class RedisStore(JobStore):
    """arq's worker steps on Redis, each one script call on the queue's path.

    Jobs that finish while a batch of finishes is on the wire go together
    in the next one: one write and one round trip for all of them.

    Args:
        queue: The queue whose connections and script loading the steps
            share (and through which cron jobs are enqueued).
        timeout: Longest a batch of finishes may take, in seconds.
    """

    def __init__(self, queue: RedisArqQueue, *, timeout: float | None) -> None:
        self._queue = queue
        self._pool = queue.pool
        self._sender = CommandSender(queue.pool.connection_pool)
        self._timeout = timeout
        """Longest a batch of finishes may take (the settings' socket timeout)."""
        self._finishing: list[tuple[bytes, asyncio.Future[Any]]] = []
        """Finish commands waiting for the next batch, and their waiters."""
        self._flusher: asyncio.Task[None] | None = None
        self.next_due_hint: int | None = None
        """The next deferred job's score, as the last claim saw it."""
        self.more_due = False
        """Whether the last claim left due jobs for lack of room."""
        self._lease_s = 0.0
        """How long the last claim's in-progress keys live."""

    async def load_scripts(self) -> None:
        """Load the worker's scripts, so no step pays for it later."""
        async with self._pool.pipeline(transaction=False) as pipe:
            for script in SCRIPTS:
                pipe.script_load(script.source)
            await pipe.execute()

    async def _call(self, script: Script, queue_name: str, *args: bytes) -> Any:
        # The store's steps share the queue's one call path (bounds, reloads).
        return await self._queue._run(script, (queue_name.encode(),), args)  # noqa: SLF001

    @override
    async def claim(
        self,
        queue_name: str,
        limit: int,
        *,
        read_limit: int,
        in_progress_ms: int,
        abort: bool,
    ) -> list[Claim]:
        numbers = self._claim_numbers(limit, read_limit, in_progress_ms, abort, 0)
        return self.claims_from(await self._call(_CLAIM, queue_name, numbers))

    def claim_command(
        self,
        queue_name: str,
        limit: int,
        *,
        read_limit: int,
        in_progress_ms: int,
        abort: bool,
    ) -> bytes:
        """`claim`'s script call, packed to be sent after a blocking wait.

        It takes what is due by Redis's clock when it runs, not by this
        process's when it was packed (see `claims_from` for the reply).
        """
        numbers = self._claim_numbers(limit, read_limit, in_progress_ms, abort, 1)
        return pack_evalsha(_CLAIM.sha_bytes, (queue_name.encode(),), (numbers,))

    def _claim_numbers(
        self, limit: int, read_limit: int, in_progress_ms: int, abort: bool, clock: int
    ) -> bytes:
        self._lease_s = in_progress_ms / 1000
        return b"%d %d %d %d %d %d" % (
            timestamp_ms(),
            limit,
            read_limit,
            in_progress_ms,
            abort,
            clock,
        )

    def claims_from(self, reply: list[Any]) -> list[Claim]:
        """The jobs a claim script call took (and its hints, kept here)."""
        self.next_due_hint = None if reply[0] is None else int(float(reply[0]))
        self.more_due = bool(reply[1])
        return [
            Claim(
                job_id=reply[i].decode(),
                score=int(float(reply[i + 1])),
                payload=reply[i + 2],
                tries=reply[i + 3],
                abort=bool(reply[i + 4]),
                held_trace=(reply[i + 5],),
            )
            for i in range(2, len(reply), 6)
        ]

    async def _settle(self, queue_name: str, *args: bytes) -> None:
        """Run the finish script, trying again while Redis is unreachable.

        A job's outcome is not dropped while its in-progress key lives: past
        that, another worker may run the job again anyway.
        """
        pause = _SETTLE_FIRST_PAUSE_S
        give_up = time.monotonic() + self._lease_s
        command = pack_evalsha(_FINISH.sha_bytes, (queue_name.encode(),), args)
        while True:
            try:
                await self._batched(command)
            except REDIS_UNAVAILABLE as exc:
                if time.monotonic() + pause > give_up:
                    raise
                logger.warning(
                    "redis unavailable finishing job %s, %s: %s; trying again",
                    args[0].decode(),
                    type(exc).__name__,
                    exc,
                )
                await asyncio.sleep(pause)
                pause = min(pause * 2, _SETTLE_LONGEST_PAUSE_S)
            else:
                return

    def _batched(self, command: bytes) -> asyncio.Future[Any]:
        """Send a command in the next batch; its reply, when it comes."""
        reply = asyncio.get_running_loop().create_future()
        self._finishing.append((command, reply))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return reply

    async def _flush(self) -> None:
        """Send the waiting finishes, batch after batch, until none waits."""
        while self._finishing:
            batch, self._finishing = self._finishing, []
            try:
                async with asyncio.timeout(self._timeout):
                    replies = await self._sender.send_many([c for c, _ in batch])
                    if any(isinstance(r, NoScriptError) for r in replies):
                        await self._pool.script_load(_FINISH.source)
                        replies = await self._sender.send_many([c for c, _ in batch])
            except BaseException as exc:
                for _, reply in batch:
                    if not reply.done():
                        reply.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, reply), answer in zip(batch, replies, strict=True):
                if reply.done():
                    continue
                if isinstance(answer, Exception):
                    reply.set_exception(answer)
                else:
                    reply.set_result(answer)

    @override
    async def set_tries(self, job_id: str, tries: int) -> None:
        await self._pool.setex(retry_key_prefix + job_id, RETRY_TTL_S, str(tries))

    @override
    async def finish(
        self,
        job_id: str,
        queue_name: str,
        *,
        result: bytes | None,
        keep_ms: int | None,
        keep_in_progress_ms: int | None,
    ) -> None:
        if result is None:
            how = b"d - %s -" % _number(keep_in_progress_ms)
            await self._settle(queue_name, job_id.encode(), how)
            return
        keep = None if keep_ms is None else max(keep_ms, 1)
        how = b"k %s %s -" % (_number(keep), _number(keep_in_progress_ms))
        await self._settle(queue_name, job_id.encode(), how, result)

    @override
    async def requeue(
        self,
        job_id: str,
        queue_name: str,
        *,
        new_score: int | None,
        keep_in_progress_ms: int | None,
    ) -> None:
        how = b"r - %s %s" % (
            _number(keep_in_progress_ms),
            _number(new_score),
        )
        await self._settle(queue_name, job_id.encode(), how)

    @override
    async def take_aborts(self, running: Collection[str]) -> set[str]:
        # arq's steps, its quirk included: it drops requests scored more
        # than abort_job_max_age *milliseconds* in the future.
        async with self._pool.pipeline(transaction=True) as pipe:
            pipe.zrange(abort_jobs_ss, start=0, end=-1)
            pipe.zremrangebyscore(
                abort_jobs_ss, min=timestamp_ms() + abort_job_max_age, max=float("inf")
            )
            requested, _ = await pipe.execute()
        aborted = {job_id.decode() for job_id in requested} & set(running)
        if aborted:
            await self._pool.zrem(abort_jobs_ss, *aborted)
        return aborted

    @override
    async def queued(self, queue_name: str) -> int:
        return int(await self._pool.zcard(queue_name))

    @override
    async def record_health(
        self, queue_name: str, key: str, ttl_ms: int, info: str
    ) -> None:
        # The copy tells listings the record is a queue-core worker's.
        async with self._pool.pipeline(transaction=True) as pipe:
            pipe.psetex(key, ttl_ms, info.encode())
            pipe.psetex(queue_name + HEALTH_COPY_SUFFIX, ttl_ms, info.encode())
            await pipe.execute()

    @override
    async def enqueue_cron(
        self,
        function_name: str,
        job_id: str | None,
        queue_name: str,
        defer_until: datetime | None,
    ) -> None:
        await enqueue_cron_run(
            self._queue, function_name, job_id, queue_name, defer_until
        )

    async def delete(self, *keys: str) -> None:
        """Delete keys (the worker's health-check record when it stops)."""
        await asyncio.shield(self._pool.delete(*keys))
