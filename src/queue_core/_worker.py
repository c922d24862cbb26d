"""queue-core's worker: arq's `Worker`, on arq's wire format, one script a step."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from signal import Signals
from typing import Any, Final

from arq.connections import ArqRedis, RedisSettings, log_redis_info
from arq.jobs import JobResult
from arq.utils import timestamp_ms
from arq.worker import FailedJobs
from redis.exceptions import NoScriptError, RedisError
from typing_extensions import override

from ._config import DEFAULT_SOCKET_TIMEOUT
from ._pool import close_pool, open_pool, socket_timeout_of
from ._redis import UNBOUNDED_CONNECTIONS, RedisArqQueue
from ._redis_store import REDIS_UNAVAILABLE, RedisStore
from ._runner import JobRunner
from ._signals import HEALTH_COPY_SUFFIX, LISTENING_SUFFIX, WAKE_SUFFIX, WAKE_TTL_MS
from ._wire import CommandSender, pack_command
from ._worker_beat import WorkerBeat
from ._worker_config import WorkerConfig, settings_values, worker_config
from ._workers import new_worker_id

__all__ = ["Worker", "check_health", "create_worker", "run_worker"]

logger = logging.getLogger("arq.worker")

_CRON_WINDOW_MIN_S: Final = 0.5
"""arq clamps the cron look-ahead window to at least this."""

_LISTEN_BLOCK_MIN_S: Final = 0.01
_LISTEN_BLOCK_MAX_S: Final = 5.0
"""How long one wait for a wake-up token blocks: ``poll_delay``, within these."""
_LISTENING_GRACE_S: Final = 5.0
"""How long a worker's "listening" mark outlives its wait, for slow loops."""

_PIPELINED_CLAIM_SINCE: Final = (7, 0)
"""Redis versions that run a claim queued behind a wait as soon as it ends."""

_OUTAGE_FIRST_PAUSE_S: Final = 0.1
_OUTAGE_LONGEST_PAUSE_S: Final = 2.0
"""Pauses between looks at the queue while Redis is unreachable, doubling."""


class Worker:
    """Runs jobs from a queue as arq's `Worker` does, and shares it with arq's.

    Takes arq's `Worker` arguments (``functions``, then keywords) with arq's
    defaults and meaning; an argument arq does not know is refused. Jobs are
    claimed in batches by one script call and finished by one more, instead
    of arq's several round trips a job; the keys and values written are
    arq's, so arq's clients read the results and arq's workers serve the
    same queue.
    """

    def __init__(
        self,
        functions: Any = (),
        **settings: Any,
    ) -> None:
        self.config: WorkerConfig = worker_config({"functions": functions, **settings})
        """The settings, as arq reads them."""
        self.ctx: dict[Any, Any] = self.config.ctx
        """The ctx every job gets: the settings', ``redis``, and what
        ``on_startup`` adds."""
        self.main_task: asyncio.Task[None] | None = None
        self.on_stop: Callable[[Signals], None] | None = None
        """Called with the signal when the worker stops on one (as arq's)."""
        self._queue: RedisArqQueue | None = None
        self._store: RedisStore | None = None
        self._runner: JobRunner | None = None
        self._wake: asyncio.Event | None = None
        self._last_health_check = 0.0
        self._stopping: asyncio.Task[None] | None = None
        self._allow_pick_jobs = True
        self._listener: asyncio.Task[None] | None = None
        self._marked = float("-inf")
        """When the wake-up listener last wrote its "listening" mark."""
        self._room: asyncio.Event | None = None
        """Set while a job could start here: the wake-up listener waits on it."""
        self.worker_id = new_worker_id()
        """This worker's id in `ArqQueue.list_workers`."""
        self._beat: WorkerBeat | None = None
        self._token_pushes: set[asyncio.Task[None]] = set()
        """Wake-up tokens being pushed at a deferred job's time."""

    # arq's counters, live while the worker runs and kept after it stops.

    @property
    def jobs_complete(self) -> int:
        """Jobs that ended with a result."""
        return 0 if self._runner is None else self._runner.jobs_complete

    @property
    def jobs_failed(self) -> int:
        """Jobs that failed (an exception, a timeout, an abort, ...)."""
        return 0 if self._runner is None else self._runner.jobs_failed

    @property
    def jobs_retried(self) -> int:
        """Tries that ended to be run again (`Retry`, a cancellation)."""
        return 0 if self._runner is None else self._runner.jobs_retried

    @property
    def queue_name(self) -> str:
        """The queue this worker serves."""
        return self.config.queue_name

    @property
    def pool(self) -> ArqRedis:
        """The worker's arq Redis pool (``ctx["redis"]``), once started."""
        if self._queue is None:
            msg = "the worker has not started"
            raise RuntimeError(msg)
        return self._queue.pool

    @property
    def allow_pick_jobs(self) -> bool:
        """Whether the worker takes new jobs (`False` once it is stopping)."""
        return self._allow_pick_jobs

    @allow_pick_jobs.setter
    def allow_pick_jobs(self, allow: bool) -> None:
        self._allow_pick_jobs = allow
        if self._runner is not None:
            self._runner.allow_pick_jobs = allow
        if not allow and self._listener is not None:
            # Its claim, sent ahead, must not take a job now: dropping the
            # connection drops the claim with the wait.
            self._listener.cancel()

    @property
    def tasks(self) -> dict[str, asyncio.Task[None]]:
        """The running jobs' tasks by job id."""
        return {} if self._runner is None else self._runner.tasks

    def run(self, *, loop: str = "auto") -> None:
        """Run the worker in a new event loop until it stops, then close it.

        Args:
            loop: ``"auto"`` runs on uvloop when it is installed (the
                ``uvloop`` extra), ``"uvloop"`` requires it, ``"asyncio"``
                uses the standard loop.
        """
        with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
            runner.run(self._run_and_close())

    async def _run_and_close(self) -> None:
        try:
            await self.async_run()
        except asyncio.CancelledError:
            pass  # stopped by a signal, as arq's run() expects
        finally:
            await self.close()

    async def async_run(self) -> None:
        """Run the worker in this event loop; does not close connections."""
        self.main_task = asyncio.create_task(self.main())
        await self.main_task

    async def run_check(
        self, retry_jobs: bool | None = None, max_burst_jobs: int | None = None
    ) -> int:
        """Run, then fail if a job failed, as arq's ``run_check``.

        Raises:
            arq.worker.FailedJobs: A job failed; its results are attached.

        Returns:
            How many jobs completed.
        """
        if retry_jobs is not None:
            self.config.retry_jobs = retry_jobs
        if max_burst_jobs is not None:
            self.config.max_burst_jobs = max_burst_jobs
        await self.async_run()
        if self.jobs_failed:
            results: list[JobResult] = await self.pool.all_job_results()
            failed = [result for result in results if not result.success]
            raise FailedJobs(self.jobs_failed, failed)
        return self.jobs_complete

    async def _connect(self) -> RedisArqQueue:
        config = self.config
        if config.redis_pool is not None:
            queue = RedisArqQueue(
                config.redis_pool, default_queue_name=config.queue_name, telemetry=False
            )
        else:
            settings = config.redis_settings
            assert settings is not None  # noqa: S101 - no pool: settings
            if settings.max_connections is None:
                # As arq's worker: jobs may use ctx["redis"] as much as they
                # like; the queue's client caps connections, a worker not.
                settings = replace(settings, max_connections=UNBOUNDED_CONNECTIONS)
            queue = await RedisArqQueue.initialize(
                settings,
                default_queue_name=config.queue_name,
                job_serializer=config.job_serializer,
                job_deserializer=config.job_deserializer,
                telemetry=False,
            )
        queue.pool.expires_extra_ms = config.expires_extra_ms
        return queue

    def _timeout(self) -> float | None:
        """The settings' socket timeout, which bounds every Redis step."""
        settings = self.config.redis_settings
        return (
            DEFAULT_SOCKET_TIMEOUT if settings is None else socket_timeout_of(settings)
        )

    async def main(self) -> None:
        """As arq's ``main``: connect, start up, then take and run jobs."""
        config = self.config
        if self._queue is None:
            self._queue = await self._connect()
        queue = self._queue
        store = RedisStore(queue, timeout=self._timeout())
        await store.load_scripts()
        self._store = store
        self._start_beating(queue)
        runner = JobRunner(store, config, self.ctx)
        runner.allow_pick_jobs = self._allow_pick_jobs
        if self._runner is not None:  # started again (--watch): counts go on
            runner.jobs_complete = self._runner.jobs_complete
            runner.jobs_failed = self._runner.jobs_failed
            runner.jobs_retried = self._runner.jobs_retried
        self._runner = runner
        self._wake = asyncio.Event()
        runner.on_task_done.append(self._slot_freed)
        if config.handle_signals:
            self._add_signal_handlers()
        logger.info(
            "Starting worker for %d functions: %s",
            len(config.functions),
            ", ".join(config.functions),
        )
        await log_redis_info(queue.pool, logger.info)
        self.ctx["redis"] = queue.pool
        if config.on_startup:
            await config.on_startup(self.ctx)
        # The listener starts once a first claim has seen the queue.
        self._room = asyncio.Event()
        listener = asyncio.create_task(self._listen(queue, runner), name="wake-up")
        self._listener = listener
        try:
            await self._loop(runner, store)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
            self._listener = None

    async def _listen(self, queue: RedisArqQueue, runner: JobRunner) -> None:
        """Wait for wake-up tokens while this worker has room for a job.

        Clients push a token per job they enqueue while a queue-core worker
        listens (see `_signals`); each token wakes one worker. The claim is
        sent with the wait, on the same connection: Redis runs it the moment
        the wait ends, so a job starts one round trip after its enqueue,
        not two. The wait ends after ``poll_delay`` at the latest, and the
        claim then is a poll: a token lost to a reconnect costs no more.
        """
        config = self.config
        store, wake = self._store, self._wake
        assert store is not None  # noqa: S101 - set before the listener starts
        assert wake is not None  # noqa: S101
        room = self._room
        assert room is not None  # noqa: S101
        block_s = max(
            min(config.poll_delay_s, _LISTEN_BLOCK_MAX_S), _LISTEN_BLOCK_MIN_S
        )
        wake_key = (config.queue_name + WAKE_SUFFIX).encode()
        sender = CommandSender(queue.pool.connection_pool)
        bound = block_s + (self._timeout() or block_s)
        pipelined = await _claims_behind_waits(queue)
        timer: asyncio.TimerHandle | None
        while True:
            await room.wait()
            limit = runner.claim_limit(burst=config.burst)
            if limit < 1:
                room.clear()
                continue
            if not pipelined:
                await self._wait_for_token(queue, sender, wake_key, block_s)
                continue
            runner.reserved += limit
            timer = None
            try:
                await self._mark_listening(queue, block_s)
                wait_s, timer = self._wait_length(store, queue, wake_key, block_s)
                wait = pack_command(b"BLPOP", wake_key, b"%.3f" % wait_s)
                claim = store.claim_command(
                    config.queue_name,
                    limit,
                    read_limit=config.queue_read_limit,
                    in_progress_ms=config.in_progress_timeout_ms,
                    abort=config.allow_abort_jobs,
                )
                async with asyncio.timeout(bound):
                    _, claimed = await sender.send_many([wait, claim])
            except REDIS_UNAVAILABLE:
                await asyncio.sleep(block_s)
                continue
            finally:
                runner.reserved -= limit
                if timer is not None:
                    timer.cancel()
            if isinstance(claimed, NoScriptError):
                await store.load_scripts()  # Redis restarted: next time
                continue
            if isinstance(claimed, Exception):
                # The loop's own claims and polls go on without wake-ups.
                logger.warning("claim on wake-up failed: %s", claimed)
                await asyncio.sleep(block_s)
                continue
            runner.start_claims(store.claims_from(claimed))
            self._note_room(runner)
            if store.more_due:
                wake.set()

    def _wait_length(
        self, store: RedisStore, queue: RedisArqQueue, wake_key: bytes, block_s: float
    ) -> tuple[float, asyncio.TimerHandle | None]:
        """How long the next wait blocks: until the next deferred job is due.

        Redis ends a blocking wait only on its next tick (up to 1/hz late),
        so a wait cut short for a deferred job comes with a timer that ends
        it at the job's time with a token.
        """
        due = store.next_due_hint
        if due is None:
            return block_s, None
        wait_s = max((due - timestamp_ms()) / 1000, 0.001)
        if wait_s >= block_s:
            return block_s, None
        loop = asyncio.get_running_loop()
        return wait_s, loop.call_later(wait_s, self._wake_up_at_due, queue, wake_key)

    def _wake_up_at_due(self, queue: RedisArqQueue, wake_key: bytes) -> None:
        """Push a wake-up token: a deferred job is due, and the wait must end."""
        task = asyncio.create_task(self._push_token(queue, wake_key))
        self._token_pushes.add(task)
        task.add_done_callback(self._token_pushes.discard)

    async def _push_token(self, queue: RedisArqQueue, wake_key: bytes) -> None:
        async with queue.pool.pipeline(transaction=False) as pipe:
            pipe.lpush(wake_key.decode(), b"1")
            pipe.pexpire(wake_key, WAKE_TTL_MS)
            try:
                await pipe.execute()
            except (*REDIS_UNAVAILABLE, RedisError) as exc:
                # The wait still ends when Redis times it out.
                logger.debug("wake-up token for a due job not sent: %s", exc)

    async def _wait_for_token(
        self,
        queue: RedisArqQueue,
        sender: CommandSender,
        wake_key: bytes,
        block_s: float,
    ) -> None:
        """On Redis 6: wait for a token, then have the loop claim.

        Two round trips, where later versions take one.
        """
        wake = self._wake
        assert wake is not None  # noqa: S101 - set before the listener starts
        try:
            await self._mark_listening(queue, block_s)
            async with asyncio.timeout(block_s + (self._timeout() or block_s)):
                token = await sender.send(
                    pack_command(b"BLPOP", wake_key, b"%.3f" % block_s)
                )
        except REDIS_UNAVAILABLE:
            await asyncio.sleep(block_s)
            return
        if token:
            wake.set()
            # Until the loop's claim says whether due jobs are left.
            if self._room is not None:
                self._room.clear()

    async def _mark_listening(self, queue: RedisArqQueue, block_s: float) -> None:
        """Say this worker waits for wake-ups, at most once per wait's length.

        The mark outlives two waits and a grace, so clients keep pushing
        tokens between two of its writes.
        """
        if time.monotonic() - self._marked <= block_s:
            return
        listening_ms = int((block_s * 2 + _LISTENING_GRACE_S) * 1000)
        key = self.config.queue_name + LISTENING_SUFFIX
        await queue.pool.set(key, b"1", px=listening_ms)
        self._marked = time.monotonic()

    def _slot_freed(self, _task: object) -> None:
        """A job ended: look again now if due jobs were left waiting.

        In burst mode also, to see whether the queue is now empty.
        """
        store, wake = self._store, self._wake
        if (
            wake is not None
            and store is not None
            and (store.more_due or self.config.burst)
        ):
            wake.set()
        if self._runner is not None:
            self._note_room(self._runner)

    async def _loop(self, runner: JobRunner, store: RedisStore) -> None:
        config = self.config
        wake = self._wake
        assert wake is not None  # noqa: S101 - set by main
        outage = _OUTAGE_FIRST_PAUSE_S
        while True:
            wake.clear()
            runner.reap()  # a finished job's slot is free for this claim
            try:
                await runner.start_jobs(burst=config.burst)
                self._note_room(runner)
                if config.allow_abort_jobs:
                    await runner.cancel_aborted_jobs()
                await self._heart_beat(runner)
                if config.burst and await self._burst_done(runner, store):
                    return
            except REDIS_UNAVAILABLE as exc:
                # Jobs keep running; the loop tries again, as Redis comes back.
                logger.warning(
                    "redis unavailable, %s: %s; trying again in %0.2fs",
                    type(exc).__name__,
                    exc,
                    outage,
                )
                await asyncio.sleep(outage)
                outage = min(outage * 2, _OUTAGE_LONGEST_PAUSE_S)
                continue
            outage = _OUTAGE_FIRST_PAUSE_S
            await self._sleep(wake, store)

    async def _burst_done(self, runner: JobRunner, store: RedisStore) -> bool:
        """As arq's burst exit: ``max_burst_jobs`` taken, or an empty queue."""
        limit = self.config.max_burst_jobs
        if (0 <= limit <= runner.jobs_started()) or not await store.queued(
            self.queue_name
        ):
            await asyncio.gather(*runner.tasks.values())
            return True
        return False

    def _note_room(self, runner: JobRunner) -> None:
        """Listen for wake-ups only while a job could start here.

        And only once the last claim left no due job behind: the loop takes
        those itself.
        """
        store = self._store
        if self._room is None or store is None:
            return
        if runner.claim_limit(burst=self.config.burst) > 0 and not store.more_due:
            self._room.set()
        else:
            self._room.clear()

    async def _sleep(self, wake: asyncio.Event, store: RedisStore) -> None:
        """Wait for a freed slot, the next deferred job, or ``poll_delay``."""
        delay = self.config.poll_delay_s
        due = store.next_due_hint
        if due is not None:
            delay = min(delay, max(due - timestamp_ms(), 0) / 1000)
        if wake.is_set():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await wake.wait()

    def _start_beating(self, queue: RedisArqQueue) -> None:
        """Keep a record of this worker for `ArqQueue.list_workers`.

        Its health-check record has a copy beside it (see `_signals`), so a
        listing tells that record from an arq worker's and shows the worker
        once.
        """
        self._beat = WorkerBeat(
            queue,
            self.worker_id,
            queue_name=self.config.queue_name,
            poll_delay_s=self.config.poll_delay_s,
        )

    async def _heart_beat(self, runner: JobRunner) -> None:
        """As arq's ``heart_beat``: the health-check record, then cron jobs.

        This worker's own record comes first (at most once a second, and
        before each health-check record), so it is listed by the time its
        health-check record says it runs.
        """
        config = self.config
        now = time.time()
        health = None
        if now - self._last_health_check >= config.health_check_interval:
            self._last_health_check = now
            health = await runner.health_record()
        if self._beat is not None:
            await self._beat.beat(runner, now=health is not None)
        if health is not None:
            await runner.record_health(health)
        if config.cron_jobs:
            await runner.run_cron(
                datetime.now(tz=config.timezone),
                max(config.poll_delay_s, _CRON_WINDOW_MIN_S),
            )

    def _add_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        handler = (
            self.handle_sig_wait_for_completion
            if self.config.job_completion_wait
            else self.handle_sig
        )
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, handler, signum)

    def _counts(self) -> tuple[int, int, int]:
        return self.jobs_complete, self.jobs_failed, self.jobs_retried

    def handle_sig(self, signum: Signals) -> None:
        """arq's: cancel the running jobs (they stay queued) and stop."""
        sig = Signals(signum)
        logger.info(
            "shutdown on %s ◆ %d jobs complete ◆ %d failed ◆ %d retries ◆ "
            "%d ongoing to cancel",
            sig.name,
            *self._counts(),
            len(self.tasks),
        )
        self._stop(sig)

    def _stop(self, sig: Signals) -> None:
        """Cancel the running jobs (they stay queued) and the main task."""
        for task in self.tasks.values():
            if not task.done():
                task.cancel()
        if self.main_task is not None:
            self.main_task.cancel()
        if self.on_stop is not None:
            self.on_stop(sig)

    def handle_sig_wait_for_completion(self, signum: Signals) -> None:
        """arq's: stop taking jobs, give running ones ``job_completion_wait``."""
        sig = Signals(signum)
        logger.info("Setting allow_pick_jobs to `False`")
        self.allow_pick_jobs = False
        logger.info(
            "shutdown on %s ◆ %d jobs complete ◆ %d failed ◆ %d retries ◆ "
            "%d to be completed",
            sig.name,
            *self._counts(),
            len(self.tasks),
        )
        self._stopping = asyncio.get_running_loop().create_task(
            self._wait_for_tasks_to_complete(sig)
        )

    async def _wait_for_tasks_to_complete(self, sig: Signals) -> None:
        tasks = [task for task in self.tasks.values() if not task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=self.config.job_completion_wait)
        logger.info(
            "shutdown on %s, wait complete ◆ %d jobs complete ◆ %d failed ◆ "
            "%d retries ◆ %d ongoing to cancel",
            sig.name,
            *self._counts(),
            sum(not task.done() for task in self.tasks.values()),
        )
        self._stop(sig)

    async def close(self) -> None:
        """As arq's ``close``: finish cancelled jobs, stop, close connections.

        The health-check record is deleted and ``on_shutdown`` runs.
        """
        if not self.config.handle_signals:
            self.handle_sig(signal.SIGUSR1)
        queue = self._queue
        if queue is None:
            return
        await asyncio.gather(
            *self.tasks.values(), *self._token_pushes, return_exceptions=True
        )
        if self._beat is not None:
            # Unreachable Redis: the record expires instead.
            with contextlib.suppress(*REDIS_UNAVAILABLE):
                await asyncio.shield(self._beat.leave())
            self._beat = None
        if self._store is not None:
            await self._store.delete(
                self.config.health_check_key,
                self.config.queue_name + HEALTH_COPY_SUFFIX,
            )
        if self.config.on_shutdown:
            await self.config.on_shutdown(self.ctx)
        await close_pool(queue.pool)
        self._queue = None
        self._store = None

    @override
    def __repr__(self) -> str:
        ongoing = sum(not task.done() for task in self.tasks.values())
        return (
            f"<Worker j_complete={self.jobs_complete} j_failed={self.jobs_failed} "
            f"j_retried={self.jobs_retried} j_ongoing={ongoing}>"
        )


LOOPS: Final = ("auto", "asyncio", "uvloop")
"""The event loops `Worker.run` can use."""


def loop_factory(loop: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop factory for a `LOOPS` name (`None`: asyncio's own).

    Raises:
        ValueError: Not one of `LOOPS`.
        ImportError: ``"uvloop"`` without uvloop installed.
    """
    if loop not in LOOPS:
        msg = f"loop must be one of {', '.join(LOOPS)}, not {loop!r}"
        raise ValueError(msg)
    if loop == "asyncio":
        return None
    try:
        import uvloop  # noqa: PLC0415 - optional
    except ImportError:
        if loop == "uvloop":
            msg = 'uvloop is not installed: pip install "queue-core[uvloop]"'
            raise ImportError(msg) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


async def _claims_behind_waits(queue: RedisArqQueue) -> bool:
    """Whether Redis runs a claim queued behind a wait as soon as it ends.

    Redis 6 runs it only once more input arrives: there the claim follows
    the wait's reply instead (a round trip more). If Redis cannot say, the
    safe answer.
    """
    try:
        info = await queue.pool.info("server")
        found = str(info["redis_version"]).split(".")[:2]
        version = tuple(int(part) for part in found)
    except (*REDIS_UNAVAILABLE, KeyError, ValueError):
        return False
    return version >= _PIPELINED_CLAIM_SINCE


def create_worker(settings_cls: Any, **kwargs: Any) -> Worker:
    """A `Worker` from settings (a class, an instance or a dict), as arq's.

    ``kwargs`` win over the settings.
    """
    return Worker(**{**settings_values(settings_cls), **kwargs})


def run_worker(settings_cls: Any, **kwargs: Any) -> Worker:
    """Create a worker from settings, run it until it stops, and return it.

    It runs on uvloop when that is installed (see `Worker.run`).
    """
    worker = create_worker(settings_cls, **kwargs)
    worker.run()
    return worker


async def async_check_health(config: WorkerConfig) -> int:
    """0 if the worker's health-check record exists, else 1, as arq's."""
    if config.redis_pool is not None:
        pool = config.redis_pool
    else:
        pool = await open_pool(
            config.redis_settings or RedisSettings(),
            job_serializer=None,
            job_deserializer=None,
            default_queue_name=config.queue_name,
        )
    try:
        data = await pool.get(config.health_check_key)
    finally:
        await close_pool(pool)
    if not data:
        logger.warning("Health check failed: no health check sentinel value found")
        return 1
    logger.info("Health check successful: %s", data)
    return 0


def check_health(settings_cls: Any) -> int:
    """Run a health check from settings: exit status 0 or 1, as arq's."""
    return asyncio.run(async_check_health(worker_config(settings_cls)))
