"""Data models returned by queue clients: snapshots, never live objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final, Generic

from arq.jobs import JobStatus
from typing_extensions import TypeVar, override

__all__ = [
    "ArqMode",
    "JobMetadata",
    "JobProgress",
    "JobResult",
    "JobStatus",
    "QueueCounts",
    "ResultPage",
    "WorkerInfo",
]

TRACEBACK_ATTRIBUTE: Final = "__queue_core_traceback__"
"""Attribute of a failed job's exception holding the traceback its worker
formatted (queue-core's worker and the mock's ``run_jobs`` record it; arq's
does not). Pickle keeps it with the exception; the JSON and msgpack
serializers carry it beside the type name and message."""

ResultT_co = TypeVar("ResultT_co", covariant=True, default=Any)
"""What a job's task returns; `Any` when the job was named by a string."""


class ArqMode(StrEnum):
    """Which queue implementation an app uses, usually read from config."""

    production = "production"
    """A `RedisArqQueue` connected to the configured Redis."""

    test = "test"
    """A `MockArqQueue`: in memory; jobs run only when a test calls `run_jobs`."""

    embedded = "embedded"
    """A private redis-server started for this process, optionally with an
    in-process arq worker: production code paths with nothing installed."""


@dataclass(frozen=True)
class JobProgress:
    """How far a running job is, as it last said with `report_progress`."""

    done: float
    """Units of work done (any unit the job chooses)."""

    total: float | None
    """Units of work in all, if the job knows."""

    message: str | None
    """What the job is doing, truncated to `PROGRESS_MESSAGE_LIMIT` characters."""

    updated_at: datetime
    """When the job reported this (timezone-aware)."""

    @property
    def fraction(self) -> float | None:
        """``done / total``; `None` without a (non-zero) total."""
        if not self.total:
            return None
        return self.done / self.total

    @override
    def __str__(self) -> str:
        """As people read it: ``3 of 4 (75%): resizing``."""
        fraction = self.fraction
        text = f"{self.done:g}"
        if self.total is not None:
            text += f" of {self.total:g}"
        if fraction is not None:
            text += f" ({fraction:.0%})"
        return text if self.message is None else f"{text}: {self.message}"


@dataclass
class JobMetadata(Generic[ResultT_co]):
    """Information about a job, as read at one moment.

    ``JobMetadata[R]`` is a job whose task returns ``R``, as
    ``enqueue(task, ...)`` returns it; plain ``JobMetadata`` is
    ``JobMetadata[Any]``.
    """

    id: str
    """The job's id."""

    name: str
    """The task (worker function) name."""

    args: tuple[Any, ...]
    """Positional arguments for the task."""

    kwargs: dict[str, Any]
    """Keyword arguments for the task."""

    enqueue_time: datetime
    """When the job was enqueued (timezone-aware)."""

    status: JobStatus
    """The job's status: deferred, queued, in_progress or complete."""

    queue_name: str
    """The queue the job belongs to."""

    progress: JobProgress | None = field(default=None, kw_only=True)
    """What the job last reported with `report_progress`, if it did (kept
    while the job's data is, see docs/progress.md)."""


@dataclass
class JobResult(JobMetadata[ResultT_co]):
    """A finished job's result together with its metadata.

    ``JobResult[R]`` comes from ``get_job_result`` or ``wait_for_result``
    given a ``JobMetadata[R]``; plain ``JobResult`` is ``JobResult[Any]``.
    """

    start_time: datetime
    """When a worker started the job."""

    finish_time: datetime
    """When the job finished."""

    success: bool
    """`True` if the task returned, `False` if it raised (or was aborted)."""

    result: ResultT_co
    """The task's return value if `success`, else the exception it raised.

    Typed as the return value: check `success` before relying on the type.
    """

    @property
    def traceback(self) -> str | None:
        """The traceback the worker recorded when the job raised.

        queue-core's worker (and the mock's ``run_jobs``) record it with
        the exception; arq's worker keeps the exception alone, so its
        failures, and successes, have `None`.
        """
        if self.success:
            return None
        recorded = getattr(self.result, TRACEBACK_ATTRIBUTE, None)
        return recorded if isinstance(recorded, str) else None


@dataclass(frozen=True)
class QueueCounts:
    """A queue's unfinished jobs counted by status, without reading any job."""

    queue_name: str
    """The queue."""

    depth: int
    """Unfinished jobs (deferred, queued and in progress), as arq counts them."""

    in_progress: int
    """Jobs a worker is running."""

    deferred: int
    """Jobs waiting for their deferred start time."""


@dataclass(frozen=True)
class ResultPage:
    """One page of a queue's finished jobs, from `ArqQueue.list_results`."""

    results: list[JobResult]
    """The finished jobs on this page (in no particular order)."""

    cursor: str | None
    """Where the next page starts, or `None` when every result was visited."""


def check_page_limit(limit: int) -> None:
    """Refuse an `ArqQueue.list_results` page that could hold no job.

    Raises:
        ValueError: ``limit`` is below 1.
    """
    if limit < 1:
        msg = f"limit must be at least 1, got {limit!r}"
        raise ValueError(msg)


@dataclass(frozen=True)
class WorkerInfo:
    """A worker serving a queue, as `ArqQueue.list_workers` sees it.

    queue-core's workers describe themselves fully and refresh their record
    every second; arq's workers are known only through their queue's
    health-check record, which says when it was written and the counts,
    and is rewritten every ``health_check_interval`` (an hour by default).
    """

    id: str
    """The worker's id (for arq's workers, the health-check key)."""

    queue_name: str
    """The queue it serves."""

    kind: str
    """``"queue-core"``, ``"arq"``, or ``"mock"`` (a `MockArqQueue.run_jobs` call)."""

    host: str | None
    """The host it runs on; `None` for arq's workers."""

    pid: int | None
    """Its process id; `None` for arq's workers."""

    started_at: datetime | None
    """When it started; `None` for arq's workers."""

    last_beat_at: datetime | None
    """When it last wrote its record."""

    running: int
    """Jobs running now (as of its last beat)."""

    complete: int
    """Jobs it completed."""

    failed: int
    """Jobs that failed on it."""

    retried: int
    """Tries it ended to run again."""
