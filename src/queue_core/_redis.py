"""The production queue: arq's wire format on Redis, one round trip per call."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import struct
from collections.abc import Sequence
from typing import Any, Final, Self

from arq.connections import ArqRedis, RedisSettings
from arq.constants import (
    abort_jobs_ss,
    health_check_key_suffix,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
)
from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, JobStatus, Serializer
from arq.utils import timestamp_ms
from redis.exceptions import NoScriptError
from typing_extensions import override

from ._config import build_arq_redis_settings
from ._deadlines import Deadlines, address_of
from ._exceptions import (
    JobDeserializationError,
    JobNotFound,
    JobNotQueued,
    JobResultUnavailable,
)
from ._jobs import JobCodec, PlannedJob, job_status
from ._models import (
    JobMetadata,
    JobResult,
    QueueCounts,
    ResultPage,
    WorkerInfo,
    check_page_limit,
)
from ._notify import FinishedJobs
from ._pool import close_pool, open_pool, socket_timeout_of
from ._progress import PROGRESS_KEY_PREFIX, decode_progress
from ._queue import ArqQueue
from ._signals import HEALTH_COPY_SUFFIX, WAKE_LUA, WORKER_SUFFIX, WORKERS_SUFFIX
from ._sync_counts import SyncCounter
from ._telemetry_base import TRACE_KEY_PREFIX
from ._wire import CommandSender, pack_evalsha
from ._workers import health_worker, read_worker, sorted_workers

__all__ = ["PREFIXES", "UNBOUNDED_CONNECTIONS", "RedisArqQueue", "Script"]

logger = logging.getLogger(__name__)

_LIST_CHUNK: Final = 1000
"""Jobs read per listing round trip, so one script never blocks Redis long."""

_ENQUEUE_CHUNK: Final = 1000
"""Jobs written per script call by enqueue_many, so no call blocks Redis long."""

_ABORT_POLL_INTERVAL: Final = 0.1

_RUNNING_WINDOW: Final = 500
"""Ready jobs, from the front of a queue, among which running ones are counted.

arq's workers take jobs from the first ``queue_read_limit`` ready ones (5 per
``max_jobs``, at least 100); counting 500 costs Redis about 2 ms."""

_SCAN_COUNT: Final = 1000
"""Keys SCAN visits per round trip when listing results."""

_SCAN_STEPS: Final = 10
"""SCAN round trips per page of results, so a page's cost is bounded."""

UNBOUNDED_CONNECTIONS: Final = 2**31
"""redis-py's max_connections when none is set: no cap."""


class Script:
    """A Lua script run by its SHA1, loaded again if Redis forgot it."""

    __slots__ = ("sha", "sha_bytes", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()
        self.sha_bytes = self.sha.encode()


# Scripts build a job's key names from its id and arq's key prefixes (set
# into their source), so a call sends the id alone: every argument costs
# redis-py an encoding pass, and a one-round-trip call is mostly that cost.
# arq runs on one Redis (no cluster), where scripts may name keys freely.
PREFIXES: Final = (
    f"local jp, rp, ip, tp, pp = '{job_key_prefix}', '{result_key_prefix}', "
    f"'{in_progress_key_prefix}', '{TRACE_KEY_PREFIX}', '{PROGRESS_KEY_PREFIX}'\n"
)

# Enqueue only if the id is new, atomically: what arq does with WATCH/MULTI
# in three round trips. With a random id, a job holding this very payload is
# our own write, sent again after a dropped connection, so retrying is safe;
# a given id is refused whatever its job holds (two calls in one millisecond
# with the same arguments write the same payload). KEYS: queue. ARGV: job
# id, payload, "<ttl ms> <score> <1 if the id is random, else 0>" (one
# argument for three numbers: each argument costs redis-py an encoding
# pass), and only if a trace is active its context, kept beside the job
# with the same expiry (see _telemetry_base.py). A given id's job starts
# with no progress: an earlier job's of that id may outlive its result
# (see _progress.py). A queued job wakes a listening queue-core worker
# (see _signals.py).
_ENQUEUE: Final = Script(
    PREFIXES
    + WAKE_LUA
    + """
local id, payload = ARGV[1], ARGV[2]
local ttl, score, random = string.match(ARGV[3], '(%S+) (%S+) (%S+)')
if redis.call('EXISTS', rp .. id) == 1 then return 0 end
if not redis.call('SET', jp .. id, payload, 'PX', ttl, 'NX') then
  if random == '1' and redis.call('GET', jp .. id) == payload then return 1 end
  return 0
end
redis.call('ZADD', KEYS[1], score, id)
if random == '0' then redis.call('DEL', pp .. id) end
if ARGV[4] then redis.call('PSETEX', tp .. id, ttl, ARGV[4]) end
wake(KEYS[1], 1)
return 1
"""
)

# _ENQUEUE for many jobs of one queue, job by job by the same rules, with one
# ZADD for all. The jobs come packed in one argument (redis-py sends one long
# argument far faster than four short ones a job), as records of: u16 id
# length, id, u32 payload length, payload, then the score and the ttl in ms,
# each as a u8 length and decimal digits (Redis takes digits faster than Lua
# numbers, which it would have to print), and a u8: 1 if the id is random
# (its own payload then means a retried write). Results are checked for all jobs
# at once; only if one exists is each job checked as _ENQUEUE does, else
# SET NX both checks and writes a job's key. KEYS: queue. ARGV: records,
# and only if a trace is active the batch's context, kept beside each job
# written with its expiry. Returns 1 (queued) or 0 for each job. The jobs
# queued wake listening queue-core workers (see _signals.py).
_ENQUEUE_MANY: Final = Script(
    PREFIXES
    + WAKE_LUA
    + """
local data, trace = ARGV[1], ARGV[2]
local ids, payloads, scores, ttls, random, results = {}, {}, {}, {}, {}, {}
local pos, size, n = 1, #data, 0
while pos <= size do
  n = n + 1
  ids[n], payloads[n], scores[n], ttls[n], random[n], pos =
    struct.unpack('>I2c0I4c0I1c0I1c0B', data, pos)
  results[n] = rp .. ids[n]
end
local check = redis.call('EXISTS', unpack(results)) > 0
local out, members, m = {}, {}, 0
for i = 1, n do
  local key, payload = jp .. ids[i], payloads[i]
  local queued = 1
  if check and redis.call('EXISTS', key, results[i]) > 0 then
    if random[i] ~= 1 or redis.call('GET', key) ~= payload then queued = 0 end
  elseif redis.call('SET', key, payload, 'PX', ttls[i], 'NX') then
    if random[i] ~= 1 then redis.call('DEL', pp .. ids[i]) end
    if trace then redis.call('SET', tp .. ids[i], trace, 'PX', ttls[i]) end
    members[m + 1] = scores[i]
    members[m + 2] = ids[i]
    m = m + 2
  elseif random[i] ~= 1 or redis.call('GET', key) ~= payload then
    queued = 0
  end
  out[i] = queued
end
if m > 0 then
  redis.call('ZADD', KEYS[1], unpack(members))
  wake(KEYS[1], m / 2)
end
return out
"""
)
_U8: Final = struct.Struct(">B")
_U16: Final = struct.Struct(">H")
_U32: Final = struct.Struct(">I")

# Everything a read needs, atomically, so a job that finishes mid-read is
# never seen as missing, in two commands (each costs the script a call into
# Redis). KEYS: queue. ARGV: job id. Returns {result, progress} once the
# job finished, else {false, payload, score, in progress, progress}.
_READ: Final = Script(
    PREFIXES
    + """
local id = ARGV[1]
local got = redis.call('MGET', rp .. id, jp .. id, ip .. id, pp .. id)
if got[1] then return {got[1], got[4]} end
return {false, got[2], redis.call('ZSCORE', KEYS[1], id), got[3] and 1 or 0, got[4]}
"""
)

# arq's Job.abort without its reads: a deferred job is moved to the front so
# the worker sees the abort now, and a job not yet running loses its trace
# context (the worker drops it without running it, so none of our code would
# delete it). KEYS: result, queue, abort set. ARGV: job id, now in ms.
# Returns {1, result} if finished, {0} if absent, {2} if asked.
_ABORT: Final = Script(
    PREFIXES
    + """
local result = redis.call('GET', KEYS[1])
if result then return {1, result} end
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score then return {0} end
if tonumber(score) > tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[2], 1, ARGV[1])
end
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
if redis.call('EXISTS', ip .. ARGV[1]) == 0 then redis.call('DEL', tp .. ARGV[1]) end
return {2}
"""
)

# A page of a queue with each job's payload, in-progress flag and, for a
# running job, its progress, instead of arq's one read per job. KEYS:
# queue. ARGV: start, stop.
_LIST: Final = Script(
    PREFIXES
    + """
local ids = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  local id = ids[i]
  local running = redis.call('EXISTS', ip .. id)
  out[#out + 1] = id
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('GET', jp .. id)
  out[#out + 1] = running
  out[#out + 1] = running == 1 and redis.call('GET', pp .. id)
end
return out
"""
)

# A queue's counts without reading a job: running jobs are looked for among
# the first ready ones, where workers take them. KEYS: queue. ARGV: now in
# ms, window. Returns {depth, deferred, in progress}.
_COUNT: Final = Script(
    PREFIXES
    + """
local depth = redis.call('ZCARD', KEYS[1])
local deferred = redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[1], '+inf')
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local running = 0
if #ids > 0 then
  for i = 1, #ids do ids[i] = ip .. ids[i] end
  running = redis.call('EXISTS', unpack(ids))
end
return {depth, deferred, running}
"""
)

# A queue's workers: the records of queue-core's workers (ids whose record
# expired are dropped from the index) and arq's health-check record, with
# the copy of the one a queue-core worker wrote last. KEYS: workers index,
# health-check key, its copy. ARGV: now in ms, record key prefix. Returns
# the health-check record and the copy (each or false), then each worker's.
_WORKERS: Final = Script(
    """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local out = {redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3])}
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
for i = 1, #ids do
  local record = redis.call('GET', ARGV[2] .. ids[i])
  if record then out[#out + 1] = record else redis.call('ZREM', KEYS[1], ids[i]) end
end
return out
"""
)

_SCRIPTS: Final = (_ENQUEUE, _ENQUEUE_MANY, _READ, _ABORT, _LIST, _COUNT, _WORKERS)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _records(planned: list[PlannedJob], indexes: range) -> bytes:
    """Jobs packed for `_ENQUEUE_MANY`."""
    parts: list[bytes] = []
    for index in indexes:
        job = planned[index]
        job_id = job.job_id.encode()
        payload = job.payload
        score = b"%d" % job.score
        ttl = b"%d" % job.expires_ms
        parts += (
            _U16.pack(len(job_id)),
            job_id,
            _U32.pack(len(payload)),
            payload,
            _U8.pack(len(score)),
            score,
            _U8.pack(len(ttl)),
            ttl,
            b"\x01" if job.random_id else b"\x00",
        )
    return b"".join(parts)


def _chunks(planned: list[PlannedJob]) -> list[tuple[range, str]]:
    """Runs of consecutive jobs for one queue, at most `_ENQUEUE_CHUNK` long.

    Consecutive, so jobs are written in the order given, as one by one.
    """
    chunks: list[tuple[range, str]] = []
    start = 0
    for index in range(1, len(planned) + 1):
        if (
            index == len(planned)
            or index - start == _ENQUEUE_CHUNK
            or planned[index].queue_name != planned[start].queue_name
        ):
            chunks.append((range(start, index), planned[start].queue_name))
            start = index
    return chunks


def _result_page(found: list[JobResult], cursor: str | None) -> ResultPage:
    """A page of results, each job once.

    SCAN returns a key twice when Redis resizes its table between two steps.
    """
    return ResultPage(list({result.id: result for result in found}.values()), cursor)


def _read_result_cursor(cursor: str | None) -> tuple[int, str | None]:
    """A `list_results` cursor's SCAN position and the id to resume after.

    Raises:
        ValueError: Not a cursor that `list_results` returned.
    """
    position, colon, after = (cursor or "0:").partition(":")
    if not colon or not position.isdigit():
        msg = f"not a list_results cursor: {cursor!r}"
        raise ValueError(msg)
    return int(position), after or None


class RedisArqQueue(ArqQueue):
    """A queue on Redis, read and written exactly as arq does.

    Real arq workers run the jobs it enqueues, and it reads jobs that arq's
    own `ArqRedis.enqueue_job` wrote. Every call is one network round trip.

    Args:
        pool: An arq Redis pool, as from `arq.create_pool`; its serializers
            are used for every read and write.
        default_queue_name: Queue used when a call names none.
        telemetry: Emit OpenTelemetry spans and metrics (if OpenTelemetry is
            installed); see docs/telemetry.md.
    """

    def __init__(
        self,
        pool: ArqRedis,
        *,
        default_queue_name: str = arq_default_queue_name,
        telemetry: bool = True,
    ) -> None:
        super().__init__(default_queue_name=default_queue_name, telemetry=telemetry)
        self._pool = pool
        self._counter: SyncCounter | None = None
        found = getattr(pool.connection_pool, "max_connections", None)
        bounded = isinstance(found, int) and found < UNBOUNDED_CONNECTIONS
        limit = found if bounded else None
        # redis-py fails at once when its pool is exhausted; callers wait here.
        self._semaphore = None if limit is None else asyncio.Semaphore(limit)
        self._slots: contextlib.AbstractAsyncContextManager[Any] = (
            self._semaphore or contextlib.nullcontext()
        )
        self._sender = CommandSender(pool.connection_pool)
        self._announcements = FinishedJobs(
            pool,
            slots=self._semaphore,
            # A pool of one connection has none to spare: waiters just poll.
            enabled=limit != 1,
        )
        """Wakes result waiters when a queue-core worker finishes a job."""
        self._deadlines: Deadlines | None = None
        """Bounds every call when the settings have a socket timeout."""
        self._codec = JobCodec(
            pool.job_serializer,
            pool.job_deserializer,
            expires_extra_ms=pool.expires_extra_ms,
        )

    @classmethod
    async def initialize(
        cls,
        redis_settings: RedisSettings,
        *,
        default_queue_name: str = arq_default_queue_name,
        job_serializer: Serializer | None = None,
        job_deserializer: Deserializer | None = None,
        telemetry: bool = True,
    ) -> Self:
        """Connect to Redis and return a ready queue.

        Unless the settings say otherwise, every command fails after
        ``socket_timeout`` seconds (5) instead of hanging, a command on a
        connection Redis dropped is retried once on a new one, and at most
        ``max_connections`` (50) connections are opened: further calls wait
        for a free one. With ``telemetry`` (the default) and OpenTelemetry
        installed, calls emit spans and metrics (docs/telemetry.md).

        Raises:
            redis.exceptions.ConnectionError: Redis cannot be reached (after
                arq's connection retries, ``redis_settings.conn_retries``).
        """
        pool = await open_pool(
            redis_settings,
            job_serializer=job_serializer,
            job_deserializer=job_deserializer,
            default_queue_name=default_queue_name,
        )
        try:
            queue = cls(
                pool, default_queue_name=default_queue_name, telemetry=telemetry
            )
            timeout = socket_timeout_of(redis_settings)
            if timeout is not None:
                queue._deadlines = Deadlines(timeout, address_of(pool.connection_pool))
            await queue.load_scripts()
        except BaseException:
            await close_pool(pool)
            raise
        return queue

    @classmethod
    async def from_url(
        cls,
        url: object,
        *,
        password: Any = None,
        default_queue_name: str = arq_default_queue_name,
        job_serializer: Serializer | None = None,
        job_deserializer: Deserializer | None = None,
        telemetry: bool = True,
    ) -> Self:
        """Connect to the Redis at a URL (see `build_arq_redis_settings`)."""
        return await cls.initialize(
            build_arq_redis_settings(url, password),
            default_queue_name=default_queue_name,
            job_serializer=job_serializer,
            job_deserializer=job_deserializer,
            telemetry=telemetry,
        )

    @property
    def pool(self) -> ArqRedis:
        """The underlying arq Redis pool."""
        return self._pool

    async def load_scripts(self) -> None:
        """Load the Lua scripts into Redis, so no call pays for it later."""
        async with self._bound(), self._pool.pipeline(transaction=False) as pipe:
            for script in _SCRIPTS:
                pipe.script_load(script.source)
            await pipe.execute()

    async def _run(
        self, script: Script, keys: Sequence[bytes], args: Sequence[bytes]
    ) -> Any:
        # `_bound()` and `_slots`, spelled out: this is every call's path.
        semaphore, deadlines = self._semaphore, self._deadlines
        token = None if deadlines is None else deadlines.enter()
        acquired = False
        try:
            if semaphore is not None:
                await semaphore.acquire()
                acquired = True
            command = pack_evalsha(script.sha_bytes, keys, args)
            try:
                return await self._sender.send(command)
            except NoScriptError:
                await self._pool.script_load(script.source)
                return await self._sender.send(command)
        except asyncio.CancelledError:
            error = None if deadlines is None else deadlines.timed_out()
            if error is None:
                raise
            raise error from None
        finally:
            if acquired and semaphore is not None:
                semaphore.release()
            if deadlines is not None and token is not None:
                deadlines.leave(token)

    def _bound(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """``async with self._bound():`` around a call: the deadline, if any."""
        if self._deadlines is None:
            return contextlib.nullcontext()
        return self._deadlines.bound()

    @staticmethod
    def _enqueue_call(job: PlannedJob) -> tuple[list[bytes], list[bytes]]:
        args = [
            job.job_id.encode(),
            job.payload,
            b"%d %d %d" % (job.expires_ms, job.score, job.random_id),
        ]
        if job.trace is not None:
            args.append(job.trace)
        return [job.queue_name.encode()], args

    @override
    async def _store(self, job: PlannedJob) -> JobMetadata:
        keys, args = self._enqueue_call(job)
        if not await self._run(_ENQUEUE, keys, args):
            raise JobNotQueued(job.job_id)
        return job.metadata(self._codec)

    @override
    async def _store_many(
        self, planned: list[PlannedJob]
    ) -> list[JobMetadata | JobNotQueued]:
        chunks = _chunks(planned)
        writing = asyncio.ensure_future(self._write_chunks(planned, chunks))
        try:
            # Build the metadata while Redis writes, yielding between slices
            # so that the write is sent first.
            outcomes: list[JobMetadata | JobNotQueued] = []
            for indexes, _ in chunks:
                await asyncio.sleep(0)
                outcomes += [planned[i].metadata(self._codec) for i in indexes]
            replies = await writing
        finally:
            writing.cancel()
        for index, queued in enumerate(replies):
            if not queued:
                outcomes[index] = JobNotQueued(planned[index].job_id)
        return outcomes

    async def _write_chunks(
        self, planned: list[PlannedJob], chunks: list[tuple[range, str]]
    ) -> list[Any]:
        """Run `_ENQUEUE_MANY` on each chunk, in one pipeline; 1 or 0 a job."""
        records = [_records(planned, indexes) for indexes, _ in chunks]
        replies: list[Any] = [None] * len(planned)
        pending = list(range(len(chunks)))
        # A second pass happens only if Redis lost the script (a restart or
        # SCRIPT FLUSH); EVALSHA then failed without writing anything.
        for attempt in range(2):
            if not pending:
                break
            async with self._bound(), self._slots:
                if attempt:
                    await self._pool.script_load(_ENQUEUE_MANY.source)
                async with self._pool.pipeline(transaction=False) as pipe:
                    for chunk in pending:
                        trace = planned[chunks[chunk][0][0]].trace
                        pipe.evalsha(
                            _ENQUEUE_MANY.sha,
                            1,
                            chunks[chunk][1],
                            # redis-py's stubs say str; bytes are sent as is.
                            records[chunk],  # type: ignore[arg-type]
                            *(() if trace is None else (trace,)),
                        )
                    answers = await pipe.execute(raise_on_error=False)
            retry: list[int] = []
            for chunk, answer in zip(pending, answers, strict=True):
                if isinstance(answer, NoScriptError):
                    retry.append(chunk)
                elif isinstance(answer, Exception):
                    raise answer
                else:
                    for index, queued in zip(chunks[chunk][0], answer, strict=True):
                        replies[index] = queued
            pending = retry
        if pending:
            msg = "Redis did not keep the enqueue script"
            raise NoScriptError(msg)
        return replies

    async def _read(self, job_id: str, queue_name: str) -> list[Any]:
        reply: list[Any] = await self._run(
            _READ, [queue_name.encode()], [job_id.encode()]
        )
        return reply

    def _finished(
        self,
        job_id: str,
        payload: bytes,
        queue_name: str,
        progress: bytes | None = None,
    ) -> JobResult | None:
        info = self._codec.decode_result(job_id, payload)
        if not self._codec.result_in_queue(info, queue_name):
            return None
        result = self._codec.result(job_id, info, queue_name)
        if progress is not None:
            result.progress = decode_progress(progress)
        return result

    @override
    async def get_job_metadata(
        self, job_id: str, queue_name: str | None = None
    ) -> JobMetadata:
        name = self._resolve_queue_name(queue_name)
        reply = await self._read(job_id, name)
        if reply[0] is not None:
            done = self._codec.decode_result(job_id, reply[0])
            if not self._codec.result_in_queue(done, name):
                raise JobNotFound(job_id)
            job = self._codec.metadata(job_id, done, JobStatus.complete, name)
            progress = reply[1]
        else:
            payload, score, in_progress, progress = reply[1:5]
            if payload is None or score is None:
                raise JobNotFound(job_id)
            status = job_status(
                has_result=False, in_progress=bool(in_progress), score=float(score)
            )
            info = self._codec.decode_job(job_id, payload)
            job = self._codec.metadata(job_id, info, status, name)
        if progress is not None:
            job.progress = decode_progress(progress)
        return job

    @override
    async def _get_job_result(self, job_id: str, queue_name: str | None) -> JobResult:
        name = self._resolve_queue_name(queue_name)
        reply = await self._read(job_id, name)
        if reply[0] is not None:
            result = self._finished(job_id, reply[0], name, reply[1])
            if result is None:
                raise JobNotFound(job_id)
            return result
        if reply[1] is None or reply[2] is None:
            raise JobNotFound(job_id)
        raise JobResultUnavailable(job_id)

    @override
    async def abort_job(
        self,
        job_id: str,
        queue_name: str | None = None,
        *,
        timeout: float | None = None,
    ) -> bool:
        name = self._resolve_queue_name(queue_name)
        async with self._finish_watch(job_id, name) as done:
            if not await self.request_abort(job_id, name):
                return False
            async with asyncio.timeout(timeout):
                return await self._aborted(job_id, name, done)

    async def _aborted(self, job_id: str, name: str, done: asyncio.Event) -> bool:
        """Wait for an abort's outcome, as arq's `Job.abort` polls for it."""
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(_ABORT_POLL_INTERVAL):
                    await done.wait()
            done.clear()
            reply = await self._read(job_id, name)
            if reply[0] is not None:
                result = self._finished(job_id, reply[0], name)
                return (
                    result is not None
                    and not result.success
                    and isinstance(result.result, asyncio.CancelledError)
                )
            if reply[2] is None:
                # Gone without a kept result: arq cannot tell either.
                return False

    @override
    def _finish_watch(
        self, job_id: str, queue_name: str | None
    ) -> contextlib.AbstractAsyncContextManager[asyncio.Event]:
        return self._announcements.watch(self._resolve_queue_name(queue_name), job_id)

    @override
    async def request_abort(self, job_id: str, queue_name: str | None = None) -> bool:
        name = self._resolve_queue_name(queue_name)
        keys = [
            (result_key_prefix + job_id).encode(),
            name.encode(),
            abort_jobs_ss.encode(),
        ]
        reply = await self._run(_ABORT, keys, [job_id.encode(), b"%d" % timestamp_ms()])
        return bool(reply[0] == 2)  # noqa: PLR2004 - the script's "abort requested"

    @override
    async def list_jobs(
        self,
        queue_name: str | None = None,
        *,
        status: JobStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
        skipped: list[str] | None = None,
    ) -> list[JobMetadata]:
        name = self._resolve_queue_name(queue_name)
        listed: list[JobMetadata] = []
        start = max(offset, 0)
        remaining = limit
        while remaining is None or remaining > 0:
            count = _LIST_CHUNK if remaining is None else min(_LIST_CHUNK, remaining)
            flat = await self._run(
                _LIST,
                [name.encode()],
                [b"%d" % start, b"%d" % (start + count - 1)],
            )
            rows = len(flat) // 5
            for at in range(0, len(flat), 5):
                job_id = _text(flat[at])
                payload = flat[at + 2]
                if payload is None:
                    continue
                try:
                    info = self._codec.decode_job(job_id, payload)
                except JobDeserializationError:
                    logger.warning("Skipping unreadable job %s in %s", job_id, name)
                    if skipped is not None:
                        skipped.append(job_id)
                    continue
                job_state = job_status(
                    has_result=False,
                    in_progress=bool(flat[at + 3]),
                    score=float(flat[at + 1]),
                )
                if status is None or job_state == status:
                    job = self._codec.metadata(job_id, info, job_state, name)
                    if flat[at + 4] is not None:
                        job.progress = decode_progress(flat[at + 4])
                    listed.append(job)
            if rows < count:
                break
            start += rows
            if remaining is not None:
                remaining -= rows
        return listed

    @override
    async def queue_depth(self, queue_name: str | None = None) -> int:
        name = self._resolve_queue_name(queue_name)
        async with self._bound(), self._slots:
            return int(await self._pool.zcard(name))

    @override
    async def count_jobs(self, queue_name: str | None = None) -> QueueCounts:
        name = self._resolve_queue_name(queue_name)
        args = [b"%d" % timestamp_ms(), b"%d" % _RUNNING_WINDOW]
        depth, deferred, running = await self._run(_COUNT, [name.encode()], args)
        return QueueCounts(name, int(depth), int(running), int(deferred))

    @override
    async def list_results(
        self,
        queue_name: str | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> ResultPage:
        name = self._resolve_queue_name(queue_name)
        # The cursor is SCAN's, and the last id the previous page returned
        # from that step when it found more than fit. A step run again
        # returns every key it returned before, and maybe keys added since:
        # so it resumes after that id, in id order, never after a count.
        check_page_limit(limit)
        position, after = _read_result_cursor(cursor)
        found: list[JobResult] = []
        for _ in range(_SCAN_STEPS):
            following, matched = await self._result_step(name, position)
            if after is not None:
                matched = [result for result in matched if result.id > after]
            room = limit - len(found)
            if len(matched) > room:
                found += matched[:room]
                return _result_page(found, f"{position}:{found[-1].id}")
            found += matched
            position, after = following, None
            if position == 0:
                return _result_page(found, None)
            if len(found) == limit:  # full: the next step starts the next page
                break
        return _result_page(found, f"{position}:")

    async def _result_step(
        self, queue_name: str, position: int
    ) -> tuple[int, list[JobResult]]:
        """One SCAN step over result keys: the next position, this queue's results.

        The results are in id order, for the cursor to resume after an id.
        """
        async with self._bound(), self._slots:
            following, keys = await self._pool.scan(
                position, match=result_key_prefix + "*", count=_SCAN_COUNT
            )
            ids = [_text(key)[len(result_key_prefix) :] for key in keys]
            progress = [PROGRESS_KEY_PREFIX + job_id for job_id in ids]
            values = await self._pool.mget([*keys, *progress]) if keys else []
        matched: list[JobResult] = []
        payloads, progresses = values[: len(keys)], values[len(keys) :]
        for job_id, payload, progressed in zip(ids, payloads, progresses, strict=True):
            if payload is None:
                continue
            try:
                result = self._finished(job_id, payload, queue_name, progressed)
            except JobDeserializationError:
                logger.warning("Skipping unreadable result of job %s", job_id)
                continue
            if result is not None:
                matched.append(result)
        return int(following), sorted(matched, key=lambda result: result.id)

    @override
    async def list_workers(self, queue_name: str | None = None) -> list[WorkerInfo]:
        name = self._resolve_queue_name(queue_name)
        health_key = name + health_check_key_suffix
        reply = await self._run(
            _WORKERS,
            [
                (name + WORKERS_SUFFIX).encode(),
                health_key.encode(),
                (name + HEALTH_COPY_SUFFIX).encode(),
            ],
            [b"%d" % timestamp_ms(), (name + WORKER_SUFFIX).encode()],
        )
        found = [read_worker(name, record) for record in reply[2:]]
        found.append(health_worker(name, health_key, reply[0], reply[1]))
        return sorted_workers(found)

    @override
    async def ping(self) -> bool:
        async with self._bound(), self._slots:
            return bool(await self._pool.ping())

    @override
    def _queue_counts(self, queue_names: list[str]) -> dict[str, tuple[int, int]]:
        if self._counter is None:
            self._counter = SyncCounter.for_pool(self._pool)
        return self._counter.counts(queue_names)

    @override
    async def aclose(self) -> None:
        await self._announcements.aclose()
        if self._counter is not None:
            self._counter.close()
        self._counter = SyncCounter(None)  # a closed queue counts nothing
        await close_pool(self._pool)
