"""What the job runner needs of the place jobs live: memory, or Redis scripts."""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from ._exceptions import JobNotQueued
from ._queue import ArqQueue

__all__ = ["Claim", "JobStore", "enqueue_cron_run"]


@dataclass(slots=True)
class Claim:
    """A job a worker took: arq's in-progress key set, its retry counter up."""

    job_id: str
    score: int
    payload: bytes | None
    """The job's payload; `None` once its key expired (arq's "job expired")."""
    tries: int
    """arq's retry counter after this claim: the try about to run."""
    abort: bool
    """An abort was requested before the job started (and is now withdrawn)."""
    skew_ms: int = 0
    """How far the mock's ``advance`` moved the clock for this job."""
    held_trace: tuple[bytes | None] | None = None
    """The enqueuing trace's context, read with the claim, so a traced job
    reads no side key of its own."""


class JobStore(ABC):
    """The steps of arq's worker that touch storage, each one round trip.

    Every method does what arq's `Worker` does with Redis at that step, with
    arq's keys and values, so that arq's own workers and clients share the
    queue.
    """

    @abstractmethod
    async def claim(
        self,
        queue_name: str,
        limit: int,
        *,
        read_limit: int,
        in_progress_ms: int,
        abort: bool,
    ) -> list[Claim]:
        """Take up to ``limit`` due jobs, in score order.

        Among the first ``read_limit`` due ones, skipping those another
        worker runs.

        Each taken job gets its in-progress key (``in_progress_ms``), its
        retry counter incremented, and, with ``abort``, its abort request
        withdrawn and reported.
        """

    @abstractmethod
    async def set_tries(self, job_id: str, tries: int) -> None:
        """Raise the retry counter to the try a job's payload names."""

    @abstractmethod
    async def finish(
        self,
        job_id: str,
        queue_name: str,
        *,
        result: bytes | None,
        keep_ms: int | None,
        keep_in_progress_ms: int | None,
    ) -> None:
        """The job leaves the queue.

        Its result is kept ``keep_ms`` (None: forever) unless it has none;
        its in-progress key is deleted, or kept ``keep_in_progress_ms`` (a
        cron job's).
        """

    @abstractmethod
    async def requeue(
        self,
        job_id: str,
        queue_name: str,
        *,
        new_score: int | None,
        keep_in_progress_ms: int | None,
    ) -> None:
        """The job stays queued to run again, at ``new_score`` if given.

        arq moves the score by an increment (ZINCRBY); the runner adds it to
        the score the job was claimed with, which no one changes while it
        runs, so that a finish sent again after a lost reply moves it once.
        """

    @abstractmethod
    async def take_aborts(self, running: Collection[str]) -> set[str]:
        """The running jobs whose abort was requested; the requests withdrawn."""

    @abstractmethod
    async def queued(self, queue_name: str) -> int:
        """How many jobs the queue holds, due or not (arq's ZCARD)."""

    @abstractmethod
    async def record_health(
        self, queue_name: str, key: str, ttl_ms: int, info: str
    ) -> None:
        """Write the worker's health-check record, in arq's format."""

    @abstractmethod
    async def enqueue_cron(
        self,
        function_name: str,
        job_id: str | None,
        queue_name: str,
        defer_until: datetime | None,
    ) -> None:
        """Enqueue a cron job's run, as arq's worker does (a taken id: skip)."""


async def enqueue_cron_run(
    queue: ArqQueue,
    function_name: str,
    job_id: str | None,
    queue_name: str,
    defer_until: datetime | None,
) -> None:
    """Enqueue a cron run as arq's worker does.

    A taken id means another worker enqueued this run (arq's
    ``enqueue_job`` returns None then).
    """
    with contextlib.suppress(JobNotQueued):
        await queue.enqueue(
            function_name,
            _job_id=job_id,
            _queue_name=queue_name,
            _defer_until=defer_until,
        )
