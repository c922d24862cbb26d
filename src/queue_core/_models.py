"""Data models returned by queue clients: snapshots, never live objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic

from arq.jobs import JobStatus
from typing_extensions import TypeVar

__all__ = [
    "ArqMode",
    "JobMetadata",
    "JobResult",
    "JobStatus",
    "QueueCounts",
    "ResultPage",
]

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
