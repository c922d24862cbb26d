"""Job payloads on arq's wire format, shared by every backend.

Validation, serialization and status rules live here once, so the mock and
the Redis backend cannot disagree about them.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from arq.constants import expires_extra_ms as arq_expires_extra_ms
from arq.jobs import (
    DeserializationError,
    Deserializer,
    JobDef,
    JobStatus,
    SerializationError,
    Serializer,
    deserialize_job,
    deserialize_result,
    serialize_job,
)
from arq.jobs import JobResult as ArqJobResult
from arq.utils import ms_to_datetime, timestamp_ms, to_ms, to_unix_ms

from ._exceptions import JobDeserializationError, JobSerializationError
from ._models import JobMetadata, JobResult

__all__ = [
    "MAX_JOB_ID_LENGTH",
    "JobCodec",
    "JobSpec",
    "PlannedJob",
    "check_text",
    "job_status",
    "new_job_id",
]

MAX_JOB_ID_LENGTH: Final = 512
"""Longest job id accepted; longer ids are almost certainly a bug."""

# The version (4) and variant (RFC 4122) bits of a UUID, as uuid4 sets them.
_UUID4_CLEAR: Final = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET: Final = (4 << 76) | (0x8000 << 48)


def _job_id(random: bytes) -> str:
    """16 random bytes as a version-4 UUID in 32 hex digits (``uuid4().hex``)."""
    value = (int.from_bytes(random) & _UUID4_CLEAR) | _UUID4_SET
    return f"{value:032x}"


def new_job_id() -> str:
    """A random id, as arq makes one (``uuid4().hex``), at half the cost."""
    return _job_id(os.urandom(16))


def new_job_ids(count: int) -> Iterator[str]:
    """``count`` ids as `new_job_id` makes them, from one read of randomness."""
    block = os.urandom(16 * count)
    for start in range(0, 16 * count, 16):
        yield _job_id(block[start : start + 16])


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One job for `ArqQueue.enqueue_many`, with `ArqQueue.enqueue`'s options."""

    task_name: str
    """The task (worker function) name."""

    args: tuple[Any, ...] = ()
    """Positional arguments for the task."""

    kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments for the task."""

    job_id: str | None = None
    """As ``_job_id``: a fixed id, so a second job with it is refused."""

    queue_name: str | None = None
    """As ``_queue_name``; `None` means the call's (or default) queue."""

    defer_until: datetime | None = None
    """As ``_defer_until``: do not run before this time."""

    defer_by: int | float | timedelta | None = None
    """As ``_defer_by``: do not run for this many seconds."""

    expires: int | float | timedelta | None = None
    """As ``_expires``: do not start or retry the job after this long."""

    job_try: int | None = None
    """As ``_job_try``: the try number to record, when re-enqueueing."""


@dataclass(slots=True)
class PlannedJob:
    """A validated, serialized job, ready for a backend to store.

    Treat it as immutable; it is not frozen only because a frozen dataclass
    takes four times as long to build, and one is built per job.
    """

    job_id: str
    task_name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    queue_name: str
    enqueue_time_ms: int
    score: int
    expires_ms: int
    payload: bytes
    random_id: bool = False
    """Whether the id was drawn at random here (no ``_job_id`` was given):
    then a job already holding this very payload can only be this one,
    written before, and a retried write is safe to accept."""
    trace: bytes | None = None
    """The enqueuing trace's context, stored beside the job; `None`: no trace."""

    def metadata(self, codec: JobCodec) -> JobMetadata:
        """Metadata for the job just stored, built without reading it back."""
        if self.score == self.enqueue_time_ms:
            status = JobStatus.queued  # not deferred: due since it was planned
        else:
            status = job_status(has_result=False, in_progress=False, score=self.score)
        return JobMetadata(
            id=self.job_id,
            name=self.task_name,
            args=self.args,
            kwargs=self.kwargs,
            enqueue_time=codec.enqueue_datetime(self.enqueue_time_ms),
            status=status,
            queue_name=self.queue_name,
        )


def job_status(
    *, has_result: bool, in_progress: bool, score: float | None
) -> JobStatus:
    """Status by arq's rules (`arq.jobs.Job.status`)."""
    if has_result:
        return JobStatus.complete
    if in_progress:
        return JobStatus.in_progress
    if score:
        return JobStatus.deferred if score > timestamp_ms() else JobStatus.queued
    return JobStatus.not_found


def _check_type(value: object, name: str, kind: type, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        expected = f"a {kind.__name__}" + (" or None" if optional else "")
        msg = f"{name} must be {expected}, not {type(value).__name__}"
        raise TypeError(msg)


def check_text(value: object, name: str, *, optional: bool = True) -> None:
    _check_type(value, name, str, optional=optional)
    if value == "":
        msg = f"{name} must not be empty"
        raise ValueError(msg)


def _check_duration(value: object, name: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float | timedelta):
        msg = (
            f"{name} must be seconds (int or float) or a timedelta, "
            f"not {type(value).__name__}"
        )
        raise TypeError(msg)


class JobCodec:
    """Turns jobs into arq's payloads and back, with the configured serializer.

    Uses arq's own `serialize_job`, `deserialize_job` and
    `deserialize_result`, so workers and clients agree byte for byte.
    """

    __slots__ = ("_last_datetime", "deserializer", "expires_extra_ms", "serializer")

    def __init__(
        self,
        serializer: Serializer | None = None,
        deserializer: Deserializer | None = None,
        *,
        expires_extra_ms: int = arq_expires_extra_ms,
    ) -> None:
        self.serializer = serializer
        self.deserializer = deserializer
        self.expires_extra_ms = expires_extra_ms
        self._last_datetime = (0, ms_to_datetime(0))

    def enqueue_datetime(self, unix_ms: int) -> datetime:
        """The datetime arq reads for a time in ms, reused while the ms repeats."""
        last_ms, last = self._last_datetime
        if unix_ms != last_ms:
            last = ms_to_datetime(unix_ms)
            self._last_datetime = (unix_ms, last)
        return last

    def plan(
        self,
        task_name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        queue_name: str,
        job_id: str | None = None,
        defer_until: datetime | None = None,
        defer_by: float | timedelta | None = None,
        expires: float | timedelta | None = None,
        job_try: int | None = None,
        now_ms: int | None = None,
        new_id: Callable[[], str] = new_job_id,
    ) -> PlannedJob:
        """Validate a job and serialize it, as `ArqRedis.enqueue_job` would.

        ``now_ms`` and ``new_id`` let a batch read the clock and draw its
        random ids once for all its jobs.

        Raises:
            TypeError: An option has the wrong type.
            ValueError: An option has a value arq cannot honour.
            JobSerializationError: An argument cannot be serialized.
        """
        if type(task_name) is not str or not task_name:
            check_text(task_name, "task_name", optional=False)
        if (
            job_id is None
            and defer_until is None
            and defer_by is None
            and expires is None
            and job_try is None
            and self.expires_extra_ms > 0
        ):
            # The common case, checked at once: no option can be wrong.
            enqueue_time_ms = score = timestamp_ms() if now_ms is None else now_ms
            expires_ms = self.expires_extra_ms
        else:
            enqueue_time_ms, score, expires_ms = self._schedule(
                job_id=job_id,
                defer_until=defer_until,
                defer_by=defer_by,
                expires=expires,
                job_try=job_try,
                now_ms=now_ms,
            )
        try:
            payload = serialize_job(
                task_name,
                args,
                kwargs,
                job_try,
                enqueue_time_ms,
                serializer=self.serializer,
            )
        except SerializationError as exc:
            raise JobSerializationError(
                self._explain_failure(task_name, args, kwargs, exc), job_id
            ) from exc.__cause__
        return PlannedJob(
            job_id=job_id or new_id(),
            random_id=job_id is None,
            task_name=task_name,
            args=args,
            kwargs=kwargs,
            queue_name=queue_name,
            enqueue_time_ms=enqueue_time_ms,
            score=score,
            expires_ms=expires_ms,
            payload=payload,
        )

    def _schedule(
        self,
        *,
        job_id: str | None,
        defer_until: datetime | None,
        defer_by: float | timedelta | None,
        expires: float | timedelta | None,
        job_try: int | None,
        now_ms: int | None,
    ) -> tuple[int, int, int]:
        """Check the options; the enqueue time, score and ttl (all in ms)."""
        check_text(job_id, "_job_id")
        if job_id is not None and len(job_id) > MAX_JOB_ID_LENGTH:
            msg = (
                f"_job_id is {len(job_id)} characters long; "
                f"the limit is {MAX_JOB_ID_LENGTH}"
            )
            raise ValueError(msg)
        _check_type(defer_until, "_defer_until", datetime)
        _check_duration(defer_by, "_defer_by")
        _check_duration(expires, "_expires")
        if defer_until is not None and defer_by is not None:
            msg = "use either _defer_until or _defer_by, not both"
            raise ValueError(msg)
        defer_by_ms = to_ms(defer_by)
        if defer_by_ms is not None and defer_by_ms < 0:
            msg = f"_defer_by must not be negative, got {defer_by!r}"
            raise ValueError(msg)
        expires_ms = to_ms(expires)
        if expires_ms is not None and expires_ms <= 0:
            msg = f"_expires must be a positive duration, got {expires!r}"
            raise ValueError(msg)
        _check_type(job_try, "_job_try", int)

        enqueue_time_ms = timestamp_ms() if now_ms is None else now_ms
        if defer_until is not None:
            score = to_unix_ms(defer_until)
        elif defer_by_ms:
            score = enqueue_time_ms + defer_by_ms
        else:
            score = enqueue_time_ms
        if expires_ms is None:
            expires_ms = score - enqueue_time_ms + self.expires_extra_ms
            if expires_ms <= 0:
                msg = f"_defer_until is too far in the past: {defer_until!r}"
                raise ValueError(msg)
        return enqueue_time_ms, score, expires_ms

    def plan_many(
        self, specs: Iterable[JobSpec], default_queue_name: str
    ) -> list[PlannedJob]:
        """`plan` for a batch of `JobSpec`, with one clock read and one id draw."""
        specs = list(specs)
        ids = new_job_ids(len(specs))
        now_ms = timestamp_ms()
        return [
            self._plan_spec(spec, default_queue_name, now_ms, ids.__next__)
            for spec in specs
        ]

    def _plan_spec(
        self,
        spec: JobSpec,
        default_queue_name: str,
        now_ms: int,
        new_id: Callable[[], str],
    ) -> PlannedJob:
        if type(spec) is not JobSpec:
            _check_type(spec, "each job given to enqueue_many", JobSpec, optional=False)
        queue_name = default_queue_name
        if spec.queue_name is not None:
            check_text(spec.queue_name, "queue_name")
            queue_name = spec.queue_name
        return self.plan(
            spec.task_name,
            tuple(spec.args),
            dict(spec.kwargs),
            queue_name=queue_name,
            job_id=spec.job_id,
            defer_until=spec.defer_until,
            defer_by=spec.defer_by,
            expires=spec.expires,
            job_try=spec.job_try,
            now_ms=now_ms,
            new_id=new_id,
        )

    def _explain_failure(
        self,
        task_name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        exc: SerializationError,
    ) -> str:
        """Name the first argument the serializer refuses, and its type."""
        serializer = self.serializer or pickle.dumps
        candidates: list[tuple[str, Any]] = [
            (f"positional argument {index}", value) for index, value in enumerate(args)
        ]
        candidates += [(f"keyword argument {key!r}", v) for key, v in kwargs.items()]
        for where, value in candidates:
            try:
                serializer({"v": value})
            except Exception as inner:  # noqa: BLE001 - any serializer error
                kind = type(value)
                return (
                    f'Job arguments for task "{task_name}" cannot be serialized: '
                    f"{where} has type {kind.__module__}.{kind.__qualname__} "
                    f"({type(inner).__name__}: {inner})"
                )
        cause = exc.__cause__ or exc
        return (
            f'Job arguments for task "{task_name}" cannot be serialized '
            f"({type(cause).__name__}: {cause})"
        )

    def decode_job(self, job_id: str, payload: bytes) -> JobDef:
        """Read a job payload; the error names the job if it is unreadable."""
        try:
            return deserialize_job(payload, deserializer=self.deserializer)
        except DeserializationError as exc:
            raise JobDeserializationError(job_id, exc) from exc

    def decode_result(self, job_id: str, payload: bytes) -> ArqJobResult:
        """Read a result payload; the error names the job if it is unreadable."""
        try:
            return deserialize_result(payload, deserializer=self.deserializer)
        except DeserializationError as exc:
            raise JobDeserializationError(job_id, exc) from exc

    @staticmethod
    def metadata(
        job_id: str, info: JobDef, status: JobStatus, queue_name: str
    ) -> JobMetadata:
        """Our snapshot of an arq job definition."""
        return JobMetadata(
            id=job_id,
            name=info.function,
            args=tuple(info.args),
            kwargs=dict(info.kwargs),
            enqueue_time=info.enqueue_time,
            status=status,
            queue_name=queue_name,
        )

    @staticmethod
    def result(job_id: str, info: ArqJobResult, queue_name: str) -> JobResult:
        """Our snapshot of an arq job result."""
        return JobResult(
            id=job_id,
            name=info.function,
            args=tuple(info.args),
            kwargs=dict(info.kwargs),
            enqueue_time=info.enqueue_time,
            status=JobStatus.complete,
            queue_name=queue_name,
            start_time=info.start_time,
            finish_time=info.finish_time,
            success=info.success,
            result=info.result,
        )

    @staticmethod
    def result_in_queue(info: ArqJobResult, queue_name: str) -> bool:
        """Whether a result belongs to this queue (old arq wrote no queue)."""
        return info.queue_name in (queue_name, "<unknown>")
