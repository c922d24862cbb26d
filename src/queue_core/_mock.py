"""The in-memory queue for tests, faithful to what arq does with Redis."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any, Final

from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, JobStatus, Serializer, serialize_result
from arq.utils import timestamp_ms, to_unix_ms
from typing_extensions import override

from ._exceptions import (
    JobDeserializationError,
    JobNotFound,
    JobNotQueued,
    JobResultUnavailable,
    JobSerializationError,
)
from ._jobs import JobCodec, PlannedJob
from ._memory_store import MemoryRun, StoredJob
from ._mock_views import JobsByQueue
from ._models import (
    JobMetadata,
    JobResult,
    QueueCounts,
    ResultPage,
    WorkerInfo,
    check_page_limit,
)
from ._notify import JobWaiters
from ._progress import decode_progress
from ._queue import ArqQueue
from ._store import enqueue_cron_run
from ._workers import sorted_workers

__all__ = ["MockArqQueue"]

logger = logging.getLogger(__name__)

_ABORT_POLL_INTERVAL: Final = 0.01
_MOCK_CURSOR: Final = "after:"


def _read_mock_result_cursor(cursor: str | None) -> str | None:
    """The job id a `MockArqQueue.list_results` cursor resumes after.

    Raises:
        ValueError: Not a cursor that `list_results` returned.
    """
    if cursor is None:
        return None
    if not cursor.startswith(_MOCK_CURSOR):
        msg = f"not a list_results cursor: {cursor!r}"
        raise ValueError(msg)
    return cursor.removeprefix(_MOCK_CURSOR)


class MockArqQueue(ArqQueue):
    """An in-memory queue for testing apps without Redis or workers.

    Jobs never run by themselves: a test runs the due ones with
    `run_jobs`, given the app's worker settings, or moves them along by
    hand with `set_in_progress` and `set_complete`. Arguments and results
    are stored serialized, with the serializer production uses (pickle
    unless configured), so a test fails on an argument production could not
    send, and every value read back is a fresh copy.

    Args:
        default_queue_name: Queue used when a call names none.
        job_serializer: Serializer, as for arq's `create_pool`.
        job_deserializer: Deserializer, as for arq's `create_pool`.
        telemetry: Emit OpenTelemetry spans and metrics as the Redis queue
            does (if OpenTelemetry is installed).
    """

    def __init__(
        self,
        *,
        default_queue_name: str = arq_default_queue_name,
        job_serializer: Serializer | None = None,
        job_deserializer: Deserializer | None = None,
        telemetry: bool = True,
    ) -> None:
        super().__init__(default_queue_name=default_queue_name, telemetry=telemetry)
        self._codec = JobCodec(job_serializer, job_deserializer)
        self._jobs: dict[str, StoredJob] = {}
        self._runners: list[MemoryRun] = []
        self._queue_names: dict[str, None] = {default_queue_name: None}
        self._finished = JobWaiters()

    @override
    async def _store(self, planned: PlannedJob) -> JobMetadata:
        return self._insert(planned)

    @override
    async def _store_many(
        self, jobs: list[PlannedJob]
    ) -> list[JobMetadata | JobNotQueued]:
        outcomes: list[JobMetadata | JobNotQueued] = []
        for job in jobs:
            try:
                outcomes.append(self._insert(job))
            except JobNotQueued as exc:
                outcomes.append(exc)
        return outcomes

    def _insert(self, planned: PlannedJob) -> JobMetadata:
        existing = self._jobs.get(planned.job_id)
        if existing is not None and not existing.expired(timestamp_ms()):
            raise JobNotQueued(planned.job_id)
        self._jobs[planned.job_id] = StoredJob(
            job_id=planned.job_id,
            queue_name=planned.queue_name,
            payload=planned.payload,
            score=planned.score,
            expires_at_ms=planned.enqueue_time_ms + planned.expires_ms,
            trace=planned.trace,
        )
        self._wake_runners(planned.queue_name)
        return planned.metadata(self._codec)

    def _find(self, job_id: str, queue_name: str | None) -> StoredJob:
        """The job, unless it is unknown, in another queue, or expired.

        Redis drops an expired job's data, though its id stays queued.
        """
        job = self._jobs.get(job_id)
        if (
            job is None
            or job.queue_name != self._resolve_queue_name(queue_name)
            or job.expired(timestamp_ms())
        ):
            raise JobNotFound(job_id)
        return job

    def _snapshot(self, job: StoredJob) -> JobMetadata:
        if job.result is not None:
            done = self._codec.decode_result(job.job_id, job.result)
            metadata = self._codec.metadata(
                job.job_id, done, JobStatus.complete, job.queue_name
            )
        else:
            info = self._codec.decode_job(job.job_id, job.payload)
            metadata = self._codec.metadata(
                job.job_id, info, job.status, job.queue_name
            )
        metadata.progress = decode_progress(job.progress)
        return metadata

    def _result_snapshot(self, job: StoredJob) -> JobResult:
        if job.result is None:
            raise JobResultUnavailable(job.job_id)
        info = self._codec.decode_result(job.job_id, job.result)
        result = self._codec.result(job.job_id, info, job.queue_name)
        result.progress = decode_progress(job.progress)
        return result

    @override
    async def get_job_metadata(
        self, job_id: str, queue_name: str | None = None
    ) -> JobMetadata:
        return self._snapshot(self._find(job_id, queue_name))

    @override
    async def _get_job_result(self, job_id: str, queue_name: str | None) -> JobResult:
        return self._result_snapshot(self._find(job_id, queue_name))

    @override
    async def abort_job(
        self,
        job_id: str,
        queue_name: str | None = None,
        *,
        timeout: float | None = None,
    ) -> bool:
        with self._finished.watch(job_id) as done:
            if not await self.request_abort(job_id, queue_name):
                return False
            job = self._find(job_id, queue_name)
            async with asyncio.timeout(timeout):
                while True:
                    outcome = self._abort_outcome(job)
                    if outcome is not None:
                        return outcome
                    # Woken when the job ends; the poll sees a run that
                    # ended without it (then the mock ends the job).
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(_ABORT_POLL_INTERVAL):
                            await done.wait()
                    done.clear()

    @override
    @contextlib.asynccontextmanager
    async def _finish_watch(
        self, job_id: str, queue_name: str | None
    ) -> AsyncIterator[asyncio.Event]:
        del queue_name
        with self._finished.watch(job_id) as done:
            yield done

    def _abort_outcome(self, job: StoredJob) -> bool | None:
        """`abort_job`'s answer once the job has ended, `None` until then."""
        if self._jobs.get(job.job_id) is not job:
            return False  # gone without a kept result
        if job.result is not None:
            done = self._codec.decode_result(job.job_id, job.result)
            return not done.success and isinstance(done.result, asyncio.CancelledError)
        if not self._running(job.queue_name):
            # The run ended first: the mock ends it, as outside any run.
            self._finish(job, result=asyncio.CancelledError(), success=False)
            return True
        return None

    @override
    async def request_abort(self, job_id: str, queue_name: str | None = None) -> bool:
        try:
            job = self._find(job_id, queue_name)
        except JobNotFound:
            return False
        if job.result is not None:
            return False
        if not self._running(job.queue_name):
            # As a worker allowed to abort jobs would end it at once.
            self._finish(job, result=asyncio.CancelledError(), success=False)
            return True
        # A run_jobs call serves the queue: it gets the request, as arq's
        # worker does (a deferred job moves to the front of the queue).
        if not job.in_progress and job.score > timestamp_ms():
            job.score = 1
        job.abort_requested = True
        self._wake_runners(job.queue_name)
        return True

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
        pending = sorted(
            (
                j
                for j in self._jobs.values()
                if j.queue_name == name and j.result is None
            ),
            key=lambda j: (j.score, j.job_id),
        )
        pending = pending[max(offset, 0) :]
        if limit is not None:
            pending = pending[: max(limit, 0)]
        listed: list[JobMetadata] = []
        now = timestamp_ms()
        for job in pending:
            if job.expired(now):
                continue  # Redis has its id queued but no data to show
            try:
                metadata = self._snapshot(job)
            except JobDeserializationError:
                logger.warning("Skipping unreadable job %s in %s", job.job_id, name)
                if skipped is not None:
                    skipped.append(job.job_id)
                continue
            if status is None or metadata.status == status:
                if not job.in_progress:
                    metadata.progress = None  # listings carry running jobs' only
                listed.append(metadata)
        return listed

    @override
    async def queue_depth(self, queue_name: str | None = None) -> int:
        name = self._resolve_queue_name(queue_name)
        return sum(
            1 for j in self._jobs.values() if j.queue_name == name and j.result is None
        )

    @override
    def _queue_counts(self, queue_names: list[str]) -> dict[str, tuple[int, int]]:
        counts = dict.fromkeys(queue_names, (0, 0))
        for job in self._jobs.values():
            if job.result is None and job.queue_name in counts:
                depth, running = counts[job.queue_name]
                counts[job.queue_name] = (depth + 1, running + job.in_progress)
        return counts

    @override
    async def count_jobs(self, queue_name: str | None = None) -> QueueCounts:
        name = self._resolve_queue_name(queue_name)
        statuses = [
            j.status
            for j in self._jobs.values()
            if j.queue_name == name and j.result is None
        ]
        return QueueCounts(
            name,
            len(statuses),
            statuses.count(JobStatus.in_progress),
            statuses.count(JobStatus.deferred),
        )

    @override
    async def list_results(
        self,
        queue_name: str | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> ResultPage:
        name = self._resolve_queue_name(queue_name)
        # In id order, resuming after the previous page's last id (as the
        # Redis queue does within a SCAN step): jobs finishing while paging
        # never shift the rest.
        check_page_limit(limit)
        after = _read_mock_result_cursor(cursor)
        now = timestamp_ms()
        finished = sorted(
            (
                j
                for j in self._jobs.values()
                if j.queue_name == name
                and j.result is not None
                and not j.result_expired(now)
                and (after is None or j.job_id > after)
            ),
            key=lambda job: job.job_id,
        )
        page = finished[:limit]
        results: list[JobResult] = []
        for job in page:
            try:
                results.append(self._result_snapshot(job))
            except JobDeserializationError:
                logger.warning("Skipping unreadable result of job %s", job.job_id)
        more = len(page) < len(finished)
        return ResultPage(results, _MOCK_CURSOR + page[-1].job_id if more else None)

    @override
    async def list_workers(self, queue_name: str | None = None) -> list[WorkerInfo]:
        """The `run_jobs` calls serving the queue now, as workers."""
        name = self._resolve_queue_name(queue_name)
        return sorted_workers(
            runner.worker_info()
            for runner in self._runners
            if runner.queue_name == name
        )

    @override
    async def ping(self) -> bool:
        return True

    @override
    async def aclose(self) -> None:
        """Nothing to release: the jobs stay readable for assertions."""

    async def run_jobs(
        self,
        worker_settings: object,
        *,
        advance: float | timedelta = 0,
        startup: bool = True,
        ctx: dict[Any, Any] | None = None,
    ) -> int:
        """Run every due job of the settings' queue here, as arq's worker would.

        The jobs run in this process and event loop, in the order arq's
        worker takes them (by score, up to ``max_jobs`` at a time), through
        arq's own steps: ``on_job_start``, the function with its timeout,
        ``on_job_end``, the result stored (or not, per ``keep_result``,
        and dropped, with what is left of the job, once that time is up),
        ``after_job_end``. A function that is not registered, an exception,
        a timeout (`asyncio.TimeoutError`), `arq.worker.Retry` (the job is
        deferred and tried again, up to ``max_tries``), an abort request
        (with ``allow_abort_jobs``) and an expired job (``_expires``) each
        end as they do with arq, with arq's own messages. The call returns
        once no job is due and none is running.

        ``ctx`` holds what arq puts there (``job_id``, ``job_try``,
        ``enqueue_time``, ``score``), the settings' ``ctx``, and what
        ``on_startup`` added; ``ctx["redis"]`` is a stand-in whose every use
        raises `MockRedisUnavailable`, since the mock has no Redis.

        Args:
            worker_settings: The worker's settings, in any form arq's
                command line accepts: a class, an instance (such as
                `WorkerSettings`) or a dict.
            advance: Also run jobs due within this many seconds (or this
                `timedelta`), without waiting: deferred jobs, and retries
                whose ``defer`` ends within it, run as if the clock had
                moved on to their time. By default only jobs due now run;
                the others stay queued.
            startup: Run ``on_startup`` before the jobs and ``on_shutdown``
                after them (once per call, as a worker does once per life;
                ``on_shutdown`` even when the run fails, ``on_startup``
                included); `False` skips both, for a test that sets ``ctx``
                itself.
            ctx: Entries added to the settings' ``ctx`` before
                ``on_startup`` runs, such as fakes for what jobs use.

        Returns:
            How many times a job was taken from the queue: each try of a
            retried job counts, as arq's ``max_burst_jobs`` counts them.

        Raises:
            RuntimeError: arq refuses the settings (no functions, or a
                function that is not a coroutine function).
            TypeError: ``advance`` is not seconds or a `timedelta`.
            ValueError: ``advance`` is negative.
            Exception: Whatever a hook raised; the run stops, as arq's
                worker does.
        """
        runner = MemoryRun(
            self._jobs,
            worker_settings,
            default_queue_name=self.default_queue_name,
            advance=advance,
            startup=startup,
            ctx=ctx,
            enqueue_cron=functools.partial(enqueue_cron_run, self),
            on_finish=self._finished.wake,
        )
        self._runners.append(runner)
        try:
            return await runner.run()
        finally:
            self._runners.remove(runner)

    def _running(self, queue_name: str) -> bool:
        """Whether a `run_jobs` call is serving this queue now."""
        return any(runner.queue_name == queue_name for runner in self._runners)

    def _wake_runners(self, queue_name: str) -> None:
        for runner in self._runners:
            if runner.queue_name == queue_name:
                runner.wake()

    def jobs(
        self,
        *,
        queue_name: str | None = None,
        name: str | None = None,
        status: JobStatus | None = None,
    ) -> list[JobMetadata]:
        """Every job the mock holds, finished ones included, for assertions.

        A finished job is held until its kept result would expire in Redis.

        Args:
            queue_name: Only jobs in this queue (default: every queue).
            name: Only jobs of this task.
            status: Only jobs with this status.
        """
        found: list[JobMetadata] = []
        for job in self._kept():
            if queue_name is not None and job.queue_name != queue_name:
                continue
            metadata = self._snapshot(job)
            if name is not None and metadata.name != name:
                continue
            if status is not None and metadata.status != status:
                continue
            found.append(metadata)
        return found

    async def set_in_progress(self, job_id: str, queue_name: str | None = None) -> None:
        """Mark a job as taken by a worker, dropping any result it had.

        Raises:
            JobNotFound: No job with this id is in this queue.
        """
        job = self._find(job_id, queue_name)
        job.in_progress = True
        job.start_ms = timestamp_ms()
        job.result = None

    async def set_complete(
        self,
        job_id: str,
        *,
        result: Any,
        success: bool = True,
        queue_name: str | None = None,
    ) -> None:
        """Finish a job with a result, as a worker would.

        The result is serialized as the worker would serialize it: a result
        the serializer refuses is replaced by arq's "unable to serialize
        result" failure, exactly as in production.

        Raises:
            JobNotFound: No job with this id is in this queue.
        """
        self._finish(self._find(job_id, queue_name), result=result, success=success)

    def _finish(self, job: StoredJob, *, result: Any, success: bool) -> None:
        info = self._codec.decode_job(job.job_id, job.payload)
        finish_ms = timestamp_ms()
        payload = serialize_result(
            info.function,
            info.args,
            info.kwargs,
            info.job_try or 1,
            to_unix_ms(info.enqueue_time),
            success,
            result,
            job.start_ms if job.start_ms is not None else finish_ms,
            finish_ms,
            f"{job.job_id}:{info.function}",
            job.queue_name,
            job.job_id,
            serializer=self._codec.serializer,
        )
        if payload is None:
            msg = f"Job result cannot be serialized, even as a failure. id={job.job_id}"
            raise JobSerializationError(msg, job.job_id)
        job.result = payload
        job.result_expires_at_ms = None
        job.in_progress = False
        self._finished.wake(job.job_id)

    # safir's private state, kept for apps' tests that read it (see
    # docs/migrating.md); `jobs` and `list_jobs` are the public way.

    @property
    def _job_metadata(self) -> JobsByQueue[JobMetadata]:
        """Safir's queue name -> {job id: `JobMetadata`}, every job included."""
        return JobsByQueue(self._queue_names, self._queues_with_jobs, self._metadata_in)

    @property
    def _job_results(self) -> JobsByQueue[JobResult]:
        """Safir's queue name -> {job id: `JobResult`}, finished jobs only."""
        return JobsByQueue(self._queue_names, self._queues_with_jobs, self._results_in)

    def _kept(self) -> Iterator[StoredJob]:
        """Every job but those whose kept result Redis would have dropped."""
        now = timestamp_ms()
        return (job for job in self._jobs.values() if not job.result_expired(now))

    def _queues_with_jobs(self) -> Iterator[str]:
        return (job.queue_name for job in self._kept())

    def _metadata_in(self, queue_name: str) -> dict[str, JobMetadata]:
        return {
            job.job_id: self._snapshot(job)
            for job in self._kept()
            if job.queue_name == queue_name
        }

    def _results_in(self, queue_name: str) -> dict[str, JobResult]:
        return {
            job.job_id: self._result_snapshot(job)
            for job in self._kept()
            if job.queue_name == queue_name and job.result is not None
        }
