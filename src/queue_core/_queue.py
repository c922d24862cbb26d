"""The queue interface every backend implements."""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import Iterable
from datetime import datetime
from types import TracebackType
from typing import Any, NoReturn, Self, overload

from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import JobStatus
from arq.typing import SecondsTimedelta
from typing_extensions import ParamSpec, TypeVar

from ._exceptions import JobNotQueued, JobResultUnavailable
from ._jobs import JobCodec, JobSpec, PlannedJob, check_text
from ._models import JobMetadata, JobResult, QueueCounts, ResultPage, WorkerInfo
from ._tasks import Task, TaskOptions
from ._telemetry import client_telemetry

__all__ = ["ArqQueue"]

P = ParamSpec("P")
R = TypeVar("R")


def _refuse_options_beside_a_task() -> NoReturn:
    msg = (
        "a task takes enqueue's options through its options(), "
        "as in queue.enqueue(task.options(job_id=...), ...)"
    )
    raise TypeError(msg)


def _job_and_queue(
    job: str | JobMetadata[Any], queue_name: str | None
) -> tuple[str, str | None]:
    """A job's id and queue, given its id (and queue) or its metadata."""
    if isinstance(job, JobMetadata):
        if queue_name is not None:
            msg = "give a job's metadata or its id and queue_name, not both"
            raise TypeError(msg)
        return job.id, job.queue_name
    return job, queue_name


class ArqQueue(metaclass=abc.ABCMeta):
    """A client for arq queues: enqueue jobs, read their status and results.

    `RedisArqQueue` is the production implementation and `MockArqQueue` the
    in-memory one for tests; both behave the same way. Use the queue as an
    async context manager, or call `aclose` when done.
    """

    def __init__(
        self,
        *,
        default_queue_name: str = arq_default_queue_name,
        telemetry: bool = True,
    ) -> None:
        self._default_queue_name = default_queue_name
        # Spans and metrics if OpenTelemetry is installed (docs/telemetry.md).
        self._telemetry = client_telemetry(self, telemetry)

    @property
    def default_queue_name(self) -> str:
        """Queue used when a call names none (arq's is ``arq:queue``)."""
        return self._default_queue_name

    def _resolve_queue_name(
        self, queue_name: str | None, argument: str = "queue_name"
    ) -> str:
        if queue_name is None:
            return self._default_queue_name
        check_text(queue_name, argument)
        return queue_name

    _codec: JobCodec
    """Validates and serializes jobs; set by each implementation."""

    @overload
    async def enqueue(
        self,
        task_name: str,
        *task_args: Any,
        _queue_name: str | None = None,
        _job_id: str | None = None,
        _defer_until: datetime | None = None,
        _defer_by: SecondsTimedelta | None = None,
        _expires: SecondsTimedelta | None = None,
        _job_try: int | None = None,
        **task_kwargs: Any,
    ) -> JobMetadata[Any]: ...

    @overload
    async def enqueue(
        self, task: Task[P, R], /, *args: P.args, **kwargs: P.kwargs
    ) -> JobMetadata[R]: ...

    @overload
    async def enqueue(
        self, options: TaskOptions[P, R], /, *args: P.args, **kwargs: P.kwargs
    ) -> JobMetadata[R]: ...

    # mypy: a task's own parameters may share the options' names; such a
    # call is refused at run time, as a task takes options via `options`.
    async def enqueue(  # type: ignore[misc]
        self,
        task_name: str | Task[..., Any] | TaskOptions[..., Any],
        *task_args: Any,
        _queue_name: str | None = None,
        _job_id: str | None = None,
        _defer_until: datetime | None = None,
        _defer_by: SecondsTimedelta | None = None,
        _expires: SecondsTimedelta | None = None,
        _job_try: int | None = None,
        **task_kwargs: Any,
    ) -> JobMetadata[Any]:
        """Add a job to a queue.

        The job's task is named by a string (as in safir.arq), or given as a
        `Task`, whose arguments type checkers then check, or as a task with
        options (``build_report.options(job_id="r-1")``). The underscored
        options mean what they mean in arq's `ArqRedis.enqueue_job` and are
        never passed to the task; a task takes them through `Task.options`
        instead.

        Args:
            task_name: The worker function's name, a `Task`, or a
                `TaskOptions`.
            *task_args: Positional arguments for the task.
            _queue_name: Queue to add the job to (default: the default queue).
            _job_id: A fixed job id; a job with this id must not exist.
            _defer_until: A `datetime` before which the job does not run.
            _defer_by: Seconds (or a `timedelta`) to wait before running.
            _expires: Do not start or retry the job after this long.
            _job_try: Try number to record, when re-enqueueing a job.
            **task_kwargs: Keyword arguments for the task.

        Returns:
            The new job's metadata.

        Raises:
            JobNotQueued: A job with ``_job_id`` already exists (queued,
                running, or with a kept result); nothing was changed.
            JobSerializationError: An argument cannot be serialized.
            TypeError: An option has the wrong type.
            ValueError: An option has a value arq cannot honour.
        """
        if type(task_name) is not str:
            # No underscored option beside a task (plain `is None` tests:
            # this runs on every enqueue of a task, and they cost least).
            alone = (
                _queue_name is None
                and _job_id is None
                and _defer_until is None
                and _defer_by is None
                and _expires is None
                and _job_try is None
            )
            if type(task_name) is Task or isinstance(task_name, Task):
                if not alone:
                    _refuse_options_beside_a_task()
                task_name = task_name.name
            elif isinstance(task_name, TaskOptions):
                if not alone:
                    _refuse_options_beside_a_task()
                options = task_name
                task_name = options.task.name
                _queue_name, _job_id = options.queue_name, options.job_id
                _defer_until, _defer_by = options.defer_until, options.defer_by
                _expires, _job_try = options.expires, options.job_try
        planned = self._codec.plan(
            task_name,
            task_args,
            task_kwargs,
            queue_name=self._resolve_queue_name(_queue_name, "_queue_name"),
            job_id=_job_id,
            defer_until=_defer_until,
            defer_by=_defer_by,
            expires=_expires,
            job_try=_job_try,
        )
        if self._telemetry is not None:
            return await self._telemetry.send(planned, self._store)
        return await self._store(planned)

    async def retry_job(
        self, job_id: str, queue_name: str | None = None
    ) -> JobMetadata[Any]:
        """Run a finished job again, as a new job.

        The new job has a new id and the finished job's task, arguments and
        keyword arguments, in the same queue, due now; the finished job and
        its result stay as they were (readable until the result expires).
        Only what arq keeps with a result can be recovered: the job's
        ``_defer_by``, ``_defer_until``, ``_expires`` and ``_job_id`` are
        not, and the try count starts again at 1.

        Args:
            job_id: The finished job's id.
            queue_name: Its queue (and the new job's).

        Returns:
            The new job's metadata.

        Raises:
            JobNotFound: No job with this id is in this queue (or its
                result was not kept).
            JobResultUnavailable: The job has not finished.
        """
        name = self._resolve_queue_name(queue_name)
        finished = await self._get_job_result(job_id, name)
        planned = self._codec.plan(
            finished.name, tuple(finished.args), dict(finished.kwargs), queue_name=name
        )
        if self._telemetry is not None:
            return await self._telemetry.send(planned, self._store)
        return await self._store(planned)

    async def enqueue_many(
        self, jobs: Iterable[JobSpec], *, queue_name: str | None = None
    ) -> list[JobMetadata | JobNotQueued]:
        """Add many jobs in one batch (one Redis round trip).

        Every job is validated and serialized before anything is written.

        Args:
            jobs: The jobs to add.
            queue_name: Queue for the jobs that name none.

        Returns:
            One outcome per job, in order: its metadata, or a `JobNotQueued`
            if its id already existed.
        """
        default = self._resolve_queue_name(queue_name)
        planned = self._codec.plan_many(jobs, default)
        if not planned:
            return []
        if self._telemetry is not None:
            return await self._telemetry.send_many(planned, self._store_many)
        return await self._store_many(planned)

    async def _store(self, job: PlannedJob) -> JobMetadata:
        """Store a validated job if its id is new (backends implement this).

        Raises:
            JobNotQueued: A job with this id exists.
        """
        raise NotImplementedError

    async def _store_many(
        self, jobs: list[PlannedJob]
    ) -> list[JobMetadata | JobNotQueued]:
        """Store validated jobs in one batch, each only if its id is new."""
        raise NotImplementedError

    def _queue_counts(self, queue_names: list[str]) -> dict[str, tuple[int, int]]:
        """Each queue's depth and in-progress count, read synchronously.

        For the telemetry gauges, which OpenTelemetry reads from any thread;
        a backend that cannot answer returns nothing.
        """
        del queue_names
        return {}

    @abc.abstractmethod
    async def get_job_metadata(
        self, job_id: str, queue_name: str | None = None
    ) -> JobMetadata:
        """Get a job's metadata and current status.

        Raises:
            JobNotFound: No job with this id is in this queue.
        """

    @overload
    async def get_job_result(
        self, job_id: str, queue_name: str | None = None
    ) -> JobResult[Any]: ...

    @overload
    async def get_job_result(self, job_id: JobMetadata[R]) -> JobResult[R]: ...

    async def get_job_result(
        self, job_id: str | JobMetadata[Any], queue_name: str | None = None
    ) -> JobResult[Any]:
        """Get a finished job's result, without waiting.

        Args:
            job_id: The job's id, or the metadata `enqueue` returned (then
                the queue is the metadata's, and the result is typed as the
                task's).
            queue_name: The job's queue, with an id.

        Raises:
            JobNotFound: No job with this id is in this queue.
            JobResultUnavailable: The job has not finished (or its result
                was not kept).
        """
        return await self._get_job_result(*_job_and_queue(job_id, queue_name))

    @abc.abstractmethod
    async def _get_job_result(
        self, job_id: str, queue_name: str | None
    ) -> JobResult[Any]:
        """`get_job_result` by id and queue name (backends implement this)."""

    @abc.abstractmethod
    async def abort_job(
        self,
        job_id: str,
        queue_name: str | None = None,
        *,
        timeout: float | None = None,
    ) -> bool:
        """Abort a queued, deferred or running job.

        The worker must run with ``allow_abort_jobs=True``.

        Args:
            job_id: The job's id.
            queue_name: The job's queue.
            timeout: Seconds to wait for the worker to abort the job before
                raising `TimeoutError`; `None` waits for as long as it takes.

        Returns:
            `True` if the job ended aborted, `False` if it had already
            finished, finished anyway, or does not exist.
        """

    @abc.abstractmethod
    async def request_abort(self, job_id: str, queue_name: str | None = None) -> bool:
        """Ask the worker to abort a job, without waiting for it to happen.

        What `abort_job` does before it waits: for a web request that must
        answer at once. A worker with ``allow_abort_jobs=True`` aborts the
        job when it next polls (the mock aborts it at once).

        Returns:
            `True` if the abort was requested, `False` if the job had
            already finished or does not exist.
        """

    @abc.abstractmethod
    async def list_jobs(
        self,
        queue_name: str | None = None,
        *,
        status: JobStatus | None = None,
        limit: int | None = None,
        offset: int = 0,
        skipped: list[str] | None = None,
    ) -> list[JobMetadata]:
        """List a queue's unfinished jobs (deferred, queued, in progress).

        Jobs come in the order a worker would take them. A job whose stored
        data cannot be read is left out (and logged) rather than failing the
        listing. Running jobs carry their progress (`JobMetadata.progress`);
        the others' is left unread (`None`), as is cheapest on Redis.

        Args:
            queue_name: The queue.
            status: Only jobs with this status.
            limit: At most this many jobs (before filtering by status).
            offset: Skip this many jobs of the queue first, for paging
                (deferred jobs are the last ones).
            skipped: A list to which the ids of unreadable jobs left out
                are appended, for callers that show them.
        """

    @abc.abstractmethod
    async def count_jobs(self, queue_name: str | None = None) -> QueueCounts:
        """Count a queue's unfinished jobs by status, reading no job's data.

        On Redis this is one round trip whatever the queue's size: running
        jobs are counted among the first 500 ready jobs, where arq's workers
        take them from (a worker reads at most its ``queue_read_limit``
        jobs, 5 per ``max_jobs`` and at least 100, from the front).
        """

    @abc.abstractmethod
    async def list_results(
        self,
        queue_name: str | None = None,
        *,
        limit: int = 100,
        cursor: str | None = None,
    ) -> ResultPage:
        """List a page of a queue's finished jobs whose results are kept.

        arq keeps results under keys of their own, named by job id alone, so
        Redis is walked with SCAN, a bounded number of keys per page (10,000
        keys visited at most, 1,000 per round trip; never KEYS). A page may
        hold fewer than ``limit`` jobs, even none, while its cursor says
        there is more to visit. A result kept from before the first page
        to after the last is listed (as with SCAN, twice if Redis resizes
        its table meanwhile); one kept or expired while paging may be
        missed. Unreadable results are left out (and logged).

        Args:
            queue_name: The queue.
            limit: At most this many jobs on the page.
            cursor: The previous page's cursor; `None` starts over.

        Raises:
            ValueError: ``limit`` is below 1, or ``cursor`` is not one that
                this queue's `list_results` returned.
        """

    @abc.abstractmethod
    async def queue_depth(self, queue_name: str | None = None) -> int:
        """Count a queue's unfinished jobs, as arq counts them."""

    async def list_workers(self, queue_name: str | None = None) -> list[WorkerInfo]:
        """List the workers serving a queue, oldest first.

        On Redis, in one round trip: every queue-core worker (each keeps a
        record of itself, rewritten every second and gone within 15 s of
        its death), and arq's workers through the queue's health-check
        record, which they share: the last one to write it is listed,
        with what arq writes (its counts and when; no host or pid). The
        mock lists its `MockArqQueue.run_jobs` calls serving the queue. A
        backend that cannot see workers lists none.

        Args:
            queue_name: The queue.
        """
        self._resolve_queue_name(queue_name)
        return []

    @abc.abstractmethod
    async def ping(self) -> bool:
        """Check the queue's backend answers, for readiness probes."""

    @abc.abstractmethod
    async def aclose(self) -> None:
        """Release the queue's resources; the queue is unusable afterwards."""

    @overload
    async def wait_for_result(
        self,
        job_id: str,
        queue_name: str | None = None,
        *,
        timeout: float | None = None,
        poll_interval: float = 0.1,
    ) -> JobResult[Any]: ...

    @overload
    async def wait_for_result(
        self,
        job_id: JobMetadata[R],
        *,
        timeout: float | None = None,
        poll_interval: float = 0.1,
    ) -> JobResult[R]: ...

    async def wait_for_result(
        self,
        job_id: str | JobMetadata[Any],
        queue_name: str | None = None,
        *,
        timeout: float | None = None,
        poll_interval: float = 0.1,
    ) -> JobResult[Any]:
        """Wait for a job to finish and return its result.

        Args:
            job_id: The job's id, or the metadata `enqueue` returned (then
                the queue is the metadata's, and the result is typed as the
                task's).
            queue_name: The job's queue, with an id.
            timeout: Seconds to wait before raising `TimeoutError`; `None`
                waits for as long as it takes.
            poll_interval: Seconds between two reads. A job that a
                queue-core worker or the mock's `run_jobs` finishes ends
                the wait at once; jobs that arq's worker runs are read
                every ``poll_interval``.

        Raises:
            JobNotFound: The job does not exist (or vanished without a
                result being kept).
            TimeoutError: The job did not finish in time.
        """
        if poll_interval <= 0:
            msg = f"poll_interval must be positive, got {poll_interval!r}"
            raise ValueError(msg)
        job, queue = _job_and_queue(job_id, queue_name)
        async with asyncio.timeout(timeout), self._finish_watch(job, queue) as done:
            while True:
                try:
                    return await self._get_job_result(job, queue)
                except JobResultUnavailable:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(poll_interval):
                            await done.wait()
                    done.clear()

    def _finish_watch(
        self, job_id: str, queue_name: str | None
    ) -> contextlib.AbstractAsyncContextManager[asyncio.Event]:
        """An event a backend sets when the job finishes, to end a wait early.

        The default is never set: waits read every ``poll_interval``.
        """
        del job_id, queue_name
        return contextlib.nullcontext(asyncio.Event())

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
