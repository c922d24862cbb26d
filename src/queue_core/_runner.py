"""arq's job-running steps over a `JobStore`: queue-core's worker and the mock's."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from arq.constants import keep_cronjob_progress
from arq.cron import CronJob
from arq.jobs import SerializationError, deserialize_job_raw, serialize_result
from arq.utils import args_to_string, ms_to_datetime, timestamp_ms, to_ms, to_unix_ms
from arq.utils import truncate as truncated
from arq.worker import Function, JobExecutionFailed, Retry, RetryJob

from ._failures import record_traceback
from ._store import Claim, JobStore
from ._telemetry_base import held_trace
from ._worker_config import WorkerConfig

__all__ = ["JobRunner", "health_info"]

logger = logging.getLogger("arq.worker")
"""arq's worker logger: operators' log configuration and searches apply."""

_NO_RESULT: Final = object()
"""A job that ended without a result to store (it runs again)."""

_CRON_WINDOWS: Final = 2
"""arq enqueues a cron run this many heartbeat windows ahead."""


@dataclass(slots=True)
class _Call:
    """A job's call as its payload says; arq's placeholders until it is read."""

    function_name: str = "<unknown>"
    args: tuple[Any, ...] = ()
    kwargs: dict[Any, Any] = field(default_factory=dict)
    enqueue_time_ms: int = 0


def health_info(
    *, complete: int, failed: int, retried: int, ongoing: int, queued: int
) -> str:
    """The health-check record in arq's format, which ``arq --check`` reads."""
    return (
        f"{datetime.now():%b-%d %H:%M:%S} j_complete={complete} j_failed={failed} "  # noqa: DTZ005 - arq's local time
        f"j_retried={retried} j_ongoing={ongoing} queued={queued}"
    )


class JobRunner:
    """The steps of arq's `Worker` that run jobs, over a store.

    ``start_jobs``, ``run_job``, ``finish_job``, ``finish_failed_job``,
    ``cancel_aborted_jobs`` and ``run_cron`` mirror arq's methods of those
    names, with their checks, hooks, counters, messages and log lines; the
    store does what arq does with Redis. The loop around them is the
    caller's: queue-core's `Worker`, or the mock's ``run_jobs``.
    """

    def __init__(
        self, store: JobStore, config: WorkerConfig, ctx: dict[Any, Any]
    ) -> None:
        self.store = store
        self.config = config
        self.ctx = ctx
        """The worker's ctx: the settings', ``redis``, and what on_startup adds."""
        self.tasks: dict[str, asyncio.Task[None]] = {}
        """Running ``run_job`` tasks by job id."""
        self.job_tasks: dict[str, asyncio.Task[Any]] = {}
        """Running job functions by job id (what an abort cancels)."""
        self.aborting: set[str] = set()
        self.jobs_complete = 0
        self.jobs_failed = 0
        self.jobs_retried = 0
        self.allow_pick_jobs = True
        self.reserved = 0
        """Slots a claim sent ahead (the worker's wake-up wait) may fill."""
        self.on_task_done: list[Any] = []
        """Callbacks run (with the job id) when a ``run_job`` task ends."""
        self._last_health_counts: str | None = None
        """The counts of the last health-check record (arq logs changes)."""

    @property
    def queue_name(self) -> str:
        """The queue the settings serve."""
        return self.config.queue_name

    def jobs_started(self) -> int:
        """Mirrors arq's ``_jobs_started``: finished tries plus running ones."""
        return (
            self.jobs_complete + self.jobs_retried + self.jobs_failed + len(self.tasks)
        )

    def claim_limit(self, *, burst: bool) -> int:
        """How many jobs to take now.

        The free slots, and in burst mode what ``max_burst_jobs`` leaves. A
        job that ended frees its slot at once, as arq's job counter does,
        though its task is forgotten only at the next ``reap``.
        """
        config = self.config
        if not self.allow_pick_jobs:
            return 0
        running = sum(not task.done() for task in self.tasks.values())
        free = config.max_jobs - running - self.reserved
        limit = min(free, config.queue_read_limit)
        if burst and config.max_burst_jobs >= 0:
            limit = min(limit, config.max_burst_jobs - self.jobs_started())
        return max(limit, 0)

    async def start_jobs(self, *, burst: bool) -> int:
        """Claim due jobs for the free slots and start each; how many."""
        limit = self.claim_limit(burst=burst)
        if limit < 1:
            return 0
        config = self.config
        claims = await self.store.claim(
            config.queue_name,
            limit,
            read_limit=config.queue_read_limit,
            in_progress_ms=config.in_progress_timeout_ms,
            abort=config.allow_abort_jobs,
        )
        return self.start_claims(claims)

    def start_claims(self, claims: list[Claim]) -> int:
        """Start each claimed job in a task of its own; how many."""
        for claim in claims:
            task = asyncio.create_task(self.run_job(claim))
            self.tasks[claim.job_id] = task
            task.add_done_callback(self._task_done)
        return len(claims)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        for callback in self.on_task_done:
            callback(task)

    def reap(self) -> None:
        """Forget finished ``run_job`` tasks; a hook's exception propagates."""
        for job_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[job_id]
                task.result()

    async def cancel_aborted_jobs(self) -> None:
        """Cancel running jobs whose abort was requested."""
        if not self.job_tasks:
            return
        aborted = await self.store.take_aborts(list(self.job_tasks))
        for job_id in aborted:
            task = self.job_tasks.get(job_id)
            if task is not None:
                self.aborting.add(job_id)
                task.cancel()

    async def run_cron(
        self, now: datetime, delay: float, *, horizon_ms: int = 0
    ) -> None:
        """Mirrors arq's ``run_cron``: enqueue the runs due within two windows.

        ``horizon_ms`` widens the windows (the mock's ``advance``).
        """
        cutoff = now + timedelta(seconds=delay * _CRON_WINDOWS, milliseconds=horizon_ms)
        enqueues = []
        for cron_job in self.config.cron_jobs:
            if cron_job.next_run is None:
                if cron_job.run_at_startup:
                    cron_job.next_run = now
                else:
                    cron_job.calculate_next(now)
                    continue
            if cron_job.next_run < cutoff:
                job_id = cron_job.job_id or (
                    f"{cron_job.name}:{to_unix_ms(cron_job.next_run)}"
                    if cron_job.unique
                    else None
                )
                later = cron_job.next_run > datetime.now(tz=self.config.timezone)
                enqueues.append(
                    self.store.enqueue_cron(
                        cron_job.name,
                        job_id,
                        self.config.queue_name,
                        cron_job.next_run if later else None,
                    )
                )
                cron_job.calculate_next(cron_job.next_run)
        if enqueues:
            await asyncio.gather(*enqueues)

    async def health_record(self) -> str:
        """This worker's health-check record now, in arq's format."""
        return health_info(
            complete=self.jobs_complete,
            failed=self.jobs_failed,
            retried=self.jobs_retried,
            ongoing=sum(not task.done() for task in self.tasks.values()),
            queued=await self.store.queued(self.config.queue_name),
        )

    async def record_health(self, info: str | None = None) -> None:
        """Write arq's health-check record; log it when its counts changed.

        As arq: the first record is not logged, nor one like the last.
        """
        config = self.config
        if info is None:
            info = await self.health_record()
        ttl_ms = int((config.health_check_interval + 1) * 1000)
        await self.store.record_health(
            config.queue_name, config.health_check_key, ttl_ms, info
        )
        counts = info[info.index("j_complete=") :]
        if self._last_health_counts is not None and counts != self._last_health_counts:
            logger.info("recording health: %s", info)
        self._last_health_counts = counts

    def _serialize(
        self,
        claim: Claim,
        call: _Call,
        job_try: int,
        *,
        success: bool,
        result: Any,
        start_ms: int,
        finished_ms: int,
        ref: str,
    ) -> bytes | None:
        return serialize_result(
            call.function_name,
            call.args,
            call.kwargs,
            job_try,
            call.enqueue_time_ms,
            success,
            result,
            start_ms,
            finished_ms,
            ref,
            self.config.queue_name,
            job_id=claim.job_id,
            serializer=self.config.job_serializer,
        )

    async def _job_failed(
        self, claim: Claim, call: _Call, exc: BaseException, start_ms: int, job_try: int
    ) -> None:
        """A job that failed before it ran: arq's ``job_failed``."""
        self.jobs_failed += 1
        result = self._serialize(
            claim,
            call,
            job_try,
            success=False,
            result=exc,
            start_ms=start_ms,
            finished_ms=timestamp_ms(),
            ref=f"{claim.job_id}:{call.function_name}",
        )
        await asyncio.shield(self.finish_failed_job(claim, result))

    async def finish_failed_job(self, claim: Claim, result: bytes | None) -> None:
        """Mirrors arq's ``finish_failed_job``: kept per the worker's settings."""
        config = self.config
        keep = config.keep_result_forever or config.keep_result_s > 0
        await self.store.finish(
            claim.job_id,
            config.queue_name,
            result=result if keep else None,
            keep_ms=None if config.keep_result_forever else to_ms(config.keep_result_s),
            keep_in_progress_ms=None,
        )

    async def run_job(self, claim: Claim) -> None:  # noqa: C901, PLR0912, PLR0915 - arq's run_job
        """Mirrors arq's ``run_job``: checks, hooks, the call, result, finish."""
        config = self.config
        job_id = claim.job_id
        start_ms = timestamp_ms()
        job_try = claim.tries
        call = _Call()
        if claim.payload is None:
            logger.warning("job %s expired", job_id)
            await self._job_failed(
                claim, call, JobExecutionFailed("job expired"), start_ms, job_try
            )
            return
        try:
            name, args, kwargs, enqueue_job_try, enqueue_time_ms = deserialize_job_raw(
                claim.payload, deserializer=config.job_deserializer
            )
        except SerializationError as exc:
            logger.exception("deserializing job %s failed", job_id)
            await self._job_failed(claim, call, exc, start_ms, job_try)
            return
        call = _Call(name, args, kwargs, enqueue_time_ms)
        if claim.abort:
            elapsed = (timestamp_ms() - enqueue_time_ms) / 1000
            logger.info("%6.2fs ⊘ %s:%s aborted before start", elapsed, job_id, name)
            await self._job_failed(
                claim, call, asyncio.CancelledError(), start_ms, job_try
            )
            return
        function: Function | CronJob | None = config.functions.get(name)
        if function is None:
            logger.warning("job %s, function %r not found", job_id, name)
            missing = JobExecutionFailed(f"function {name!r} not found")
            await self._job_failed(claim, call, missing, start_ms, job_try)
            return
        if isinstance(function, CronJob):
            ref = name
            keep_in_progress: int | None = to_ms(keep_cronjob_progress)
        else:
            ref = f"{job_id}:{name}"
            keep_in_progress = None
        if enqueue_job_try and enqueue_job_try > job_try:
            job_try = enqueue_job_try
            await self.store.set_tries(job_id, job_try)
        max_tries = (
            config.max_tries if function.max_tries is None else function.max_tries
        )
        if job_try > max_tries:
            elapsed = (timestamp_ms() - enqueue_time_ms) / 1000
            logger.warning(
                "%6.2fs ! %s max retries %d exceeded", elapsed, ref, max_tries
            )
            self.jobs_failed += 1
            exceeded = JobExecutionFailed(f"max {max_tries} retries exceeded")
            result_data = self._serialize(
                claim,
                call,
                job_try,
                success=False,
                result=exceeded,
                start_ms=start_ms,
                finished_ms=timestamp_ms(),
                ref=ref,
            )
            await asyncio.shield(self.finish_failed_job(claim, result_data))
            return

        score = claim.score
        timeout_s = (
            config.job_timeout_s if function.timeout_s is None else function.timeout_s
        )
        ctx = {
            **self.ctx,
            "job_id": job_id,
            "job_try": job_try,
            "enqueue_time": ms_to_datetime(enqueue_time_ms),
            "score": score,
        }
        if config.on_job_start:
            await config.on_job_start(ctx)

        start_ms = timestamp_ms()
        result: Any = _NO_RESULT
        success = False
        finish = False
        incr_score: int | None = None
        if logger.isEnabledFor(logging.INFO):
            extra = f" try={job_try}" if job_try > 1 else ""
            delay_ms = start_ms + claim.skew_ms - score
            if delay_ms > 1200:  # noqa: PLR2004 - arq's threshold
                extra += f" delayed={delay_ms / 1000:0.2f}s"
            logger.info(
                "%6.2fs → %s(%s)%s",
                (start_ms - enqueue_time_ms) / 1000,
                ref,
                args_to_string(args, kwargs),
                extra,
            )
        if claim.held_trace is not None:
            held_trace.set(claim.held_trace)
        task = asyncio.create_task(function.coroutine(ctx, *args, **kwargs))
        self.job_tasks[job_id] = task
        try:
            try:
                async with asyncio.timeout(timeout_s):
                    result = await task
            finally:
                del self.job_tasks[job_id]
        except (Exception, asyncio.CancelledError) as exc:
            finished_ms = timestamp_ms()
            elapsed = (finished_ms - start_ms) / 1000
            if config.retry_jobs and isinstance(exc, Retry):
                incr_score = exc.defer_score
                logger.info(
                    "%6.2fs ↻ %s retrying job in %0.2fs",
                    elapsed,
                    ref,
                    (exc.defer_score or 0) / 1000,
                )
                if exc.defer_score:
                    now = timestamp_ms() + claim.skew_ms
                    incr_score = exc.defer_score + (now - score)
                self.jobs_retried += 1
            elif job_id in self.aborting and isinstance(exc, asyncio.CancelledError):
                logger.info("%6.2fs ⊘ %s aborted", elapsed, ref)
                result = exc
                finish = True
                self.aborting.discard(job_id)
                self.jobs_failed += 1
            elif config.retry_jobs and isinstance(
                exc, asyncio.CancelledError | RetryJob
            ):
                logger.info("%6.2fs ↻ %s cancelled, will be run again", elapsed, ref)
                self.jobs_retried += 1
            else:
                extra_info = getattr(exc, "extra", None)
                if callable(extra_info):
                    extra_info = extra_info()
                logger.exception(
                    "%6.2fs ! %s failed, %s: %s",
                    elapsed,
                    ref,
                    type(exc).__name__,
                    exc,  # noqa: TRY401 - arq's line
                    extra={"extra": extra_info},
                )
                record_traceback(exc)
                result = exc
                finish = True
                self.jobs_failed += 1
        else:
            success = True
            finished_ms = timestamp_ms()
            if logger.isEnabledFor(logging.INFO):
                shown = (
                    ""
                    if result is None or not config.log_results
                    else truncated(repr(result))
                )
                logger.info(
                    "%6.2fs ← %s ● %s", (finished_ms - start_ms) / 1000, ref, shown
                )
            finish = True
            self.jobs_complete += 1

        keep_forever = (
            config.keep_result_forever
            if function.keep_result_forever is None
            else function.keep_result_forever
        )
        keep_s = (
            config.keep_result_s
            if function.keep_result_s is None
            else function.keep_result_s
        )
        result_data = None
        if result is not _NO_RESULT and (keep_forever or keep_s > 0):
            result_data = self._serialize(
                claim,
                call,
                job_try,
                success=success,
                result=result,
                start_ms=start_ms,
                finished_ms=finished_ms,
                ref=ref,
            )
        if config.on_job_end:
            await config.on_job_end(ctx)
        if finish:
            finishing = self.store.finish(
                job_id,
                config.queue_name,
                result=result_data,
                keep_ms=None if keep_forever else to_ms(keep_s),
                keep_in_progress_ms=keep_in_progress,
            )
        else:
            finishing = self.store.requeue(
                job_id,
                config.queue_name,
                new_score=claim.score + incr_score if incr_score else None,
                keep_in_progress_ms=keep_in_progress,
            )
        await asyncio.shield(finishing)
        if config.after_job_end:
            await config.after_job_end(ctx)
