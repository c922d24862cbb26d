"""Runs a `MockArqQueue`'s jobs in this process, step for step as arq's worker."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Final, NoReturn

from arq.cron import CronJob
from arq.jobs import (
    JobStatus,
    SerializationError,
    deserialize_job_raw,
    serialize_result,
)
from arq.utils import ms_to_datetime, timestamp_ms, to_ms
from arq.worker import Function, JobExecutionFailed, Retry, RetryJob, Worker, get_kwargs
from typing_extensions import override

from ._jobs import job_status
from ._telemetry_base import held_trace

__all__ = ["JobRunner", "MockRedisUnavailable", "StoredJob"]

logger = logging.getLogger(__name__)

_NO_RESULT: Final = object()
"""A job that ended without a result to store (it is retried)."""


@dataclass(slots=True)
class StoredJob:
    """What Redis would hold for one job: payloads, never live objects."""

    job_id: str
    queue_name: str
    payload: bytes
    score: int
    expires_at_ms: int
    """When Redis would drop the job's data (its key's TTL), in unix ms."""
    in_progress: bool = False
    start_ms: int | None = None
    result: bytes | None = None
    result_expires_at_ms: int | None = None
    """When Redis would drop the kept result (its key's TTL), in unix ms;
    None keeps it forever."""
    tries: int = 0
    """arq's retry counter: how many times a worker took the job."""
    abort_requested: bool = False
    """Whether the job is in arq's set of abort requests."""
    trace: bytes | None = None
    """The enqueuing trace's context (Redis's side key), for telemetry."""

    @property
    def status(self) -> JobStatus:
        return job_status(
            has_result=self.result is not None,
            in_progress=self.in_progress,
            score=self.score,
        )

    def expired(self, now_ms: int) -> bool:
        """Whether Redis would have dropped the job's data (or its result)."""
        if self.result is None:
            return self.expires_at_ms <= now_ms
        return self.result_expired(now_ms)

    def result_expired(self, now_ms: int) -> bool:
        """Whether the job's kept result is gone, and with it the job."""
        expires_at_ms = self.result_expires_at_ms
        return (
            self.result is not None
            and expires_at_ms is not None
            and expires_at_ms <= now_ms
        )


@dataclass(slots=True)
class _Call:
    """A job's call as its payload says; arq's placeholders until it is read."""

    function_name: str = "<unknown>"
    args: tuple[Any, ...] = ()
    kwargs: dict[Any, Any] = field(default_factory=dict)
    enqueue_time_ms: int = 0


class MockRedisUnavailable(RuntimeError):
    """A job run by `MockArqQueue.run_jobs` used ``ctx["redis"]``.

    The mock runs jobs without Redis; a job (or an ``on_startup`` hook)
    that needs arq's Redis connection has to be tested with embedded mode
    or a real worker, or given what it needs through ``run_jobs(ctx=...)``.
    """


class _NoRedis:
    """Stands in for ``ctx["redis"]``: any use raises `MockRedisUnavailable`."""

    __slots__ = ()

    def _refuse(self, use: str) -> NoReturn:
        msg = (
            f'ctx["redis"]{use}: MockArqQueue.run_jobs runs jobs without Redis, '
            "so there is no arq Redis connection in ctx; test this job with "
            "embedded mode or a real worker, or pass what it needs with "
            "run_jobs(..., ctx={...})"
        )
        raise MockRedisUnavailable(msg)

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):
            # Protocol probes (copy, hasattr(x, "__aenter__")) see nothing.
            raise AttributeError(name)
        self._refuse(f".{name}")

    def __getitem__(self, key: object) -> NoReturn:
        self._refuse(f"[{key!r}]")

    def __call__(self, *_args: object, **_kwargs: object) -> NoReturn:
        self._refuse("(...)")

    def __bool__(self) -> bool:  # noqa: PLE0304 - it never returns
        self._refuse(" used as a truth value")

    @override
    def __repr__(self) -> str:
        return "<no Redis: MockArqQueue.run_jobs>"


def _worker_for(settings: object, default_queue_name: str) -> Worker:
    """An arq `Worker` built from the settings, never started.

    It reads the settings exactly as ``arq``'s command line does (a class,
    an instance or a dict), so defaults, ``func()`` wrappers, cron jobs and
    their checks are arq's; it opens no connection until run, which it
    never is.
    """
    kwargs: dict[str, Any] = get_kwargs(settings)  # type: ignore[arg-type]
    if kwargs.get("queue_name", "") is None:
        # arq then serves its pool's default queue; the mock is the pool.
        kwargs["queue_name"] = default_queue_name
    return Worker(**{**kwargs, "handle_signals": False})


def _ref(job: StoredJob, call: _Call, function: Function | CronJob) -> str:
    """How arq's logs name a job run: a cron job by its name alone."""
    if isinstance(function, CronJob):
        return call.function_name
    return f"{job.job_id}:{call.function_name}"


def _seconds_ms(value: float | timedelta, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | timedelta):
        msg = f"{name} must be seconds or a timedelta, not {type(value).__name__}"
        raise TypeError(msg)
    ms = to_ms(value)
    if ms < 0:
        msg = f"{name} must not be negative, got {value!r}"
        raise ValueError(msg)
    return ms


class JobRunner:
    """One `run_jobs` call: arq's `Worker` loop over the mock's jobs.

    The methods mirror arq's `Worker` (``_poll_iteration``, ``start_jobs``,
    ``run_job``, ``finish_job``, ``finish_failed_job``,
    ``_cancel_aborted_jobs``) with the mock's dictionary in place of Redis.
    """

    def __init__(
        self,
        jobs: dict[str, StoredJob],
        worker_settings: object,
        *,
        default_queue_name: str,
        advance: float | timedelta = 0,
        startup: bool = True,
        ctx: dict[Any, Any] | None = None,
    ) -> None:
        self._jobs = jobs
        self._worker = _worker_for(worker_settings, default_queue_name)
        self._advance_ms = _seconds_ms(advance, "advance")
        self._startup = startup
        self._ctx: dict[Any, Any] = {
            **self._worker.ctx,
            "redis": _NoRedis(),
            **(ctx or {}),
        }
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._job_tasks: dict[str, asyncio.Task[Any]] = {}
        self._aborting: set[str] = set()
        self._taken = 0
        self._wake = asyncio.Event()

    @property
    def queue_name(self) -> str:
        """The queue this run takes jobs from (the settings')."""
        return self._worker.queue_name

    def wake(self) -> None:
        """Look at the queue again now: a job or an abort request came in."""
        self._wake.set()

    async def run(self) -> int:
        """Run the jobs that are due; how many times a job was taken."""
        worker = self._worker
        try:
            # Inside the try: arq's worker closes, running on_shutdown, even
            # when on_startup raised.
            if self._startup and worker.on_startup:
                await worker.on_startup(self._ctx)
            await self._poll()
        finally:
            if self._tasks:
                for task in self._tasks.values():
                    task.cancel()
                await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            if self._startup and worker.on_shutdown:
                await worker.on_shutdown(self._ctx)
        return self._taken

    async def _poll(self) -> None:
        """Mirrors arq's ``_poll_iteration`` until nothing is due or running."""
        while True:
            self._wake.clear()
            started = self._start_jobs()
            if self._worker.allow_abort_jobs:
                self._cancel_aborted_jobs()
            if not self._tasks and not started:
                return
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait(
                    [*self._tasks.values(), woken],
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                woken.cancel()
            for job_id, task in list(self._tasks.items()):
                if task.done():
                    del self._tasks[job_id]
                    task.result()  # a hook's exception stops the run, as in arq

    def _due(self) -> Iterator[StoredJob]:
        """Jobs a worker would take now, in arq's order (score, then id)."""
        horizon = timestamp_ms() + self._advance_ms
        due = [
            job
            for job in self._jobs.values()
            if job.queue_name == self.queue_name
            and job.result is None
            and not job.in_progress
            and job.score <= horizon
        ]
        return iter(sorted(due, key=lambda job: (job.score, job.job_id)))

    def _start_jobs(self) -> int:
        """Mirrors arq's ``start_jobs``: take due jobs while a slot is free."""
        worker = self._worker
        started = 0
        for job in self._due():
            if len(self._tasks) >= worker.max_jobs:
                break
            if 0 <= worker.max_burst_jobs <= self._taken:
                break
            now = timestamp_ms()
            job.in_progress = True
            job.start_ms = now
            self._taken += 1
            started += 1
            # A job due later in the advanced window runs as if the clock
            # had reached its score.
            skew = max(0, job.score - now)
            self._tasks[job.job_id] = asyncio.create_task(self._take(job, skew))
        return started

    async def _take(self, job: StoredJob, skew: int) -> None:
        try:
            await self._run_job(job, skew)
        finally:
            job.in_progress = False  # also when a hook raised

    def _cancel_aborted_jobs(self) -> None:
        """Mirrors arq's ``_cancel_aborted_jobs``: cancel jobs asked to abort."""
        for job_id, task in self._job_tasks.items():
            job = self._jobs.get(job_id)
            if job is not None and job.abort_requested:
                job.abort_requested = False
                self._aborting.add(job_id)
                task.cancel()

    def _result(
        self,
        job: StoredJob,
        call: _Call,
        job_try: int,
        *,
        success: bool,
        result: Any,
        start_ms: int,
        finished_ms: int | None = None,
        ref: str | None = None,
    ) -> bytes | None:
        """The result as arq's ``serialize_result`` writes it."""
        return serialize_result(
            call.function_name,
            call.args,
            call.kwargs,
            job_try,
            call.enqueue_time_ms,
            success,
            result,
            start_ms,
            timestamp_ms() if finished_ms is None else finished_ms,
            ref or f"{job.job_id}:{call.function_name}",
            self.queue_name,
            job_id=job.job_id,
            serializer=self._worker.job_serializer,
        )

    def _failed(
        self,
        job: StoredJob,
        call: _Call,
        exc: BaseException,
        start_ms: int,
        ref: str | None = None,
    ) -> None:
        result = self._result(
            job, call, job.tries, success=False, result=exc, start_ms=start_ms, ref=ref
        )
        self._finish_failed_job(job, result)

    def _startable(
        self, job: StoredJob, skew: int, start_ms: int
    ) -> tuple[_Call, Function | CronJob] | None:
        """Arq's checks before a job starts; a job failing one is finished."""
        worker = self._worker
        abort_job = worker.allow_abort_jobs and job.abort_requested
        if abort_job:
            job.abort_requested = False
        if job.expired(start_ms + skew):
            logger.warning("job %s expired", job.job_id)
            self._failed(job, _Call(), JobExecutionFailed("job expired"), start_ms)
            return None
        try:
            name, args, kwargs, enqueue_job_try, enqueue_time_ms = deserialize_job_raw(
                job.payload, deserializer=worker.job_deserializer
            )
        except SerializationError as exc:
            logger.exception("deserializing job %s failed", job.job_id)
            self._failed(job, _Call(), exc, start_ms)
            return None
        call = _Call(name, args, kwargs, enqueue_time_ms)
        if abort_job:
            logger.info("%s:%s aborted before start", job.job_id, name)
            self._failed(job, call, asyncio.CancelledError(), start_ms)
            return None
        function: Function | CronJob | None = worker.functions.get(name)
        if function is None:
            logger.warning("job %s, function %r not found", job.job_id, name)
            missing = JobExecutionFailed(f"function {name!r} not found")
            self._failed(job, call, missing, start_ms)
            return None
        if enqueue_job_try and enqueue_job_try > job.tries:
            job.tries = enqueue_job_try
        max_tries = (
            worker.max_tries if function.max_tries is None else function.max_tries
        )
        if job.tries > max_tries:
            ref = _ref(job, call, function)
            logger.warning("%s max retries %d exceeded", ref, max_tries)
            exceeded = JobExecutionFailed(f"max {max_tries} retries exceeded")
            self._failed(job, call, exceeded, start_ms, ref)
            return None
        return call, function

    async def _run_job(self, job: StoredJob, skew: int) -> None:
        """Mirrors arq's ``run_job``, its failure messages and hooks included."""
        worker = self._worker
        score = job.score
        job.tries += 1
        startable = self._startable(job, skew, timestamp_ms())
        if startable is None:
            return
        call, function = startable
        job_try = job.tries
        ref = _ref(job, call, function)
        timeout_s = (
            worker.job_timeout_s if function.timeout_s is None else function.timeout_s
        )
        ctx = {
            **self._ctx,
            "job_id": job.job_id,
            "job_try": job_try,
            "enqueue_time": ms_to_datetime(call.enqueue_time_ms),
            "score": score,
        }
        if worker.on_job_start:
            await worker.on_job_start(ctx)
        start_ms = timestamp_ms()
        held_trace.set((job.trace,))  # what a worker reads from the side key
        task = asyncio.create_task(function.coroutine(ctx, *call.args, **call.kwargs))
        self._job_tasks[job.job_id] = task
        incr_score: int | None = None
        try:
            result = await asyncio.wait_for(task, timeout_s)
        except (Exception, asyncio.CancelledError) as exc:  # noqa: BLE001 - as arq
            success = False
            result, incr_score = self._after(job, exc, ref, skew_ms=skew, score=score)
        else:
            success = True
        finally:
            del self._job_tasks[job.job_id]
        finished_ms = timestamp_ms()

        keep_forever = (
            worker.keep_result_forever
            if function.keep_result_forever is None
            else function.keep_result_forever
        )
        keep_s = (
            worker.keep_result_s
            if function.keep_result_s is None
            else function.keep_result_s
        )
        result_data = None
        if result is not _NO_RESULT and (keep_forever or keep_s > 0):
            result_data = self._result(
                job,
                call,
                job_try,
                success=success,
                result=result,
                start_ms=start_ms,
                finished_ms=finished_ms,
                ref=ref,
            )
        if worker.on_job_end:
            await worker.on_job_end(ctx)
        self._finish_job(
            job,
            finish=result is not _NO_RESULT,
            result=result_data,
            keep_s=None if keep_forever else keep_s,
            incr_score=incr_score,
        )
        if worker.after_job_end:
            await worker.after_job_end(ctx)

    def _after(
        self, job: StoredJob, exc: BaseException, ref: str, *, skew_ms: int, score: int
    ) -> tuple[Any, int | None]:
        """What arq makes of a job's exception: a result and a score increment.

        No result (`_NO_RESULT`) means the job runs again.
        """
        worker = self._worker
        if worker.retry_jobs and isinstance(exc, Retry):
            logger.info("%s retrying job in %s ms", ref, exc.defer_score or 0)
            if not exc.defer_score:
                return _NO_RESULT, exc.defer_score
            # The job runs again `defer` after now: its score moves that far.
            return _NO_RESULT, exc.defer_score + (timestamp_ms() + skew_ms - score)
        if job.job_id in self._aborting and isinstance(exc, asyncio.CancelledError):
            logger.info("%s aborted", ref)
            self._aborting.discard(job.job_id)
            return exc, None
        if worker.retry_jobs and isinstance(exc, asyncio.CancelledError | RetryJob):
            logger.info("%s cancelled, will be run again", ref)
            return _NO_RESULT, None
        logger.warning("%s failed, %s: %s", ref, type(exc).__name__, exc)
        return exc, None

    def _finish_job(
        self,
        job: StoredJob,
        *,
        finish: bool,
        result: bytes | None,
        keep_s: float | None,
        incr_score: int | None,
    ) -> None:
        """Mirrors arq's ``finish_job``: store the result, or requeue the job.

        A result is kept ``keep_s`` seconds (None: forever).
        """
        job.in_progress = False
        if finish:
            self._store_result(job, result, keep_s)
        elif incr_score:
            job.score += incr_score

    def _finish_failed_job(self, job: StoredJob, result: bytes | None) -> None:
        """Mirrors arq's ``finish_failed_job``: kept per the worker's settings."""
        worker = self._worker
        keep = worker.keep_result_forever or worker.keep_result_s > 0
        job.in_progress = False
        keep_s = None if worker.keep_result_forever else worker.keep_result_s
        self._store_result(job, result if keep else None, keep_s)

    def _store_result(
        self, job: StoredJob, result: bytes | None, keep_s: float | None
    ) -> None:
        """The job leaves the queue; with no result kept, it is gone."""
        job.abort_requested = False
        if result is None:
            self._jobs.pop(job.job_id, None)
        else:
            job.result = result
            job.result_expires_at_ms = (
                None if keep_s is None else timestamp_ms() + to_ms(keep_s)
            )
