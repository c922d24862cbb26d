"""What the browser shows of a job: bounded display strings, never whole values."""

from __future__ import annotations

import asyncio
import reprlib
import time
import traceback
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Final

from queue_core import (
    JobMetadata,
    JobProgress,
    JobResult,
    QueueCounts,
    RemoteJobError,
    WorkerInfo,
)

__all__ = [
    "DISPLAY_LIMIT",
    "HISTORY_SECONDS",
    "SAMPLE_INTERVAL",
    "TRACEBACK_DISPLAY_LIMIT",
    "UNREADABLE",
    "Chart",
    "DepthHistory",
    "Failure",
    "JobRow",
    "Progress",
    "show_error",
    "show_value",
    "worker_document",
]

DISPLAY_LIMIT: Final = 1000
"""Longest display string of a job's arguments or result, in characters."""

TRACEBACK_DISPLAY_LIMIT: Final = 5000
"""Longest traceback shown, in characters: its end is kept."""

UNREADABLE: Final = "unreadable"
"""What is shown for data that cannot be deserialized."""

HISTORY_SECONDS: Final = 600
"""How far back the depth chart goes."""

SAMPLE_INTERVAL: Final = 5.0
"""Seconds between two kept depth samples of a queue."""

_ELLIPSIS: Final = "…"

_REPR = reprlib.Repr()
for _name in ("maxtuple", "maxlist", "maxarray", "maxdict", "maxset", "maxfrozenset"):
    setattr(_REPR, _name, 50)
for _name in ("maxstring", "maxlong", "maxother"):
    setattr(_REPR, _name, DISPLAY_LIMIT)
_REPR.maxlevel = 4


def _shorten(text: str) -> str:
    if len(text) <= DISPLAY_LIMIT:
        return text
    return text[: DISPLAY_LIMIT - 1] + _ELLIPSIS


_SMALL_CONTAINER: Final = 20
_PLAIN: Final = frozenset({int, float, bool, type(None)})
_CONTAINERS: Final = frozenset({tuple, list, dict})


def _small(value: Any, depth: int = 0) -> bool:
    """Whether the builtin repr of a value is short for sure (and so fast).

    Arguments are mostly a few numbers and short strings: for those the
    builtin repr is exact and far cheaper than `reprlib`.
    """
    kind = type(value)
    if kind is str or kind is bytes:
        return len(value) <= DISPLAY_LIMIT
    if kind in _PLAIN:
        return kind is not int or value.bit_length() < DISPLAY_LIMIT
    if kind not in _CONTAINERS or depth >= 2 or len(value) > _SMALL_CONTAINER:  # noqa: PLR2004 - two levels deep at most
        return False
    if kind is dict:
        return all(
            _small(key, depth + 1) and _small(item, depth + 1)
            for key, item in value.items()
        )
    return all(_small(item, depth + 1) for item in value)


def show_value(value: Any) -> str:
    """A value's repr, bounded per element and in all to `DISPLAY_LIMIT`."""
    try:
        if _small(value):
            return _shorten(repr(value))
        return _shorten(_REPR.repr(value))
    except Exception:  # noqa: BLE001 - a broken __repr__ must not break the page
        return UNREADABLE


def show_error(error: Any) -> str:
    """An exception as a traceback would end, bounded to `DISPLAY_LIMIT`.

    arq keeps the exception a task raised, not its traceback, so this is
    the exception's type and message (and its causes, if they were kept).
    """
    if not isinstance(error, BaseException):
        return show_value(error)
    try:
        return _shorten("".join(traceback.format_exception(error)).rstrip())
    except Exception:  # noqa: BLE001 - a broken __str__ must not break the page
        return UNREADABLE


def _tail(text: str, limit: int) -> str:
    """The end of a text, where a traceback says what failed, in ``limit``."""
    if len(text) <= limit:
        return text
    return _ELLIPSIS + text[-(limit - 1) :]


@dataclass(frozen=True)
class Failure:
    """Why a job failed, as the worker recorded it, as display strings."""

    type: str
    """The exception's type, qualified unless a builtin."""

    message: str
    """Its message, up to `DISPLAY_LIMIT` characters."""

    traceback: str | None
    """The traceback the worker recorded (its last `TRACEBACK_DISPLAY_LIMIT`
    characters), `None` where it kept none (arq's worker)."""

    @classmethod
    def of(cls, result: JobResult) -> Failure:
        """A failed job's failure."""
        error = result.result
        if isinstance(error, RemoteJobError):
            kind, message = error.type_name, error.message
        elif isinstance(error, BaseException):
            kind = type(error).__qualname__
            if type(error).__module__ != "builtins":
                kind = f"{type(error).__module__}.{kind}"
            message = _safe_str(error)
        else:
            kind, message = type(error).__qualname__, show_value(error)
        recorded = result.traceback
        return cls(
            kind,
            _shorten(message),
            None if recorded is None else _tail(recorded, TRACEBACK_DISPLAY_LIMIT),
        )

    def document(self) -> dict[str, Any]:
        """The API's fields for it."""
        return {"type": self.type, "message": self.message, "traceback": self.traceback}


def _safe_str(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break the page
        return UNREADABLE


@dataclass(frozen=True)
class Progress:
    """A job's progress as the browser shows it: a bar and a line of text."""

    value: float | None
    """Where the bar is, from 0 to 1; `None` for a bar with no total."""

    text: str
    """``3 of 4 (75%): resizing``."""

    updated_at: datetime

    source: JobProgress

    @classmethod
    def of(cls, progress: JobProgress) -> Progress:
        """The bar for what a job reported."""
        fraction = progress.fraction
        value = None if fraction is None else min(max(fraction, 0.0), 1.0)
        return cls(value, _shorten(str(progress)), progress.updated_at, progress)

    def document(self) -> dict[str, Any]:
        """The API's fields for it."""
        return {
            "done": self.source.done,
            "total": self.source.total,
            "message": self.source.message,
            "fraction": self.source.fraction,
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class JobRow:
    """One job as the browser shows it, every value already a display string."""

    id: str
    name: str
    status: str
    enqueue_time: datetime | None
    args: str
    kwargs: str
    outcome: str | None = None
    """For finished jobs: succeeded, failed or aborted."""

    result: str | None = None
    start_time: datetime | None = None
    finish_time: datetime | None = None
    success: bool | None = None
    progress: Progress | None = None
    """What the job last reported with `queue_core.report_progress`."""

    failure: Failure | None = None
    """Why it failed, for a failed (not aborted) job."""

    @classmethod
    def of(cls, job: JobMetadata) -> JobRow:
        """The row for a job, with its result if it has finished."""
        row = cls(
            job.id,
            job.name,
            job.status.value,
            job.enqueue_time,
            show_value(job.args),
            show_value(job.kwargs),
            progress=None if job.progress is None else Progress.of(job.progress),
        )
        if not isinstance(job, JobResult):
            return row
        aborted = not job.success and isinstance(job.result, asyncio.CancelledError)
        failed = not job.success and not aborted
        return replace(
            row,
            outcome="aborted" if aborted else "succeeded" if job.success else "failed",
            result=show_value(job.result) if job.success else show_error(job.result),
            start_time=job.start_time,
            finish_time=job.finish_time,
            success=job.success,
            failure=Failure.of(job) if failed else None,
        )

    @classmethod
    def unreadable(cls, job_id: str) -> JobRow:
        """The row for a job whose stored data cannot be read."""
        return cls(job_id, UNREADABLE, UNREADABLE, None, UNREADABLE, UNREADABLE)

    def summary(self) -> dict[str, Any]:
        """The API's fields for a job in a listing.

        ``progress`` is there only for a job that reported some.
        """
        document: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "enqueue_time": _iso(self.enqueue_time),
            "args": self.args,
            "kwargs": self.kwargs,
        }
        if self.progress is not None:
            document["progress"] = self.progress.document()
        return document

    def detail(self) -> dict[str, Any]:
        """The API's fields for one job: the summary, and the result if any.

        A failed job also has ``error``: its exception's type, message and
        the traceback the worker recorded (`None` if it kept none).
        """
        document = self.summary()
        if self.outcome is not None:
            document |= {
                "success": self.success,
                "result": self.result,
                "start_time": _iso(self.start_time),
                "finish_time": _iso(self.finish_time),
            }
        if self.failure is not None:
            document["error"] = self.failure.document()
        return document


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def worker_document(worker: WorkerInfo) -> dict[str, Any]:
    """The API's fields for a worker: `WorkerInfo`'s, times in ISO 8601."""
    return {
        field.name: _iso(value) if isinstance(value, datetime) else value
        for field in fields(worker)
        for value in (getattr(worker, field.name),)
    }


@dataclass
class DepthHistory:
    """Recent depths of each queue, kept in memory for the chart.

    A sample is taken when the page or ``api/queues`` is read, at most one
    per queue every `SAMPLE_INTERVAL` seconds; samples older than
    `HISTORY_SECONDS` are dropped. Nothing is sampled while nobody looks.
    """

    _samples: dict[str, deque[tuple[float, int]]] = field(default_factory=dict)

    def record(self, counts: Iterable[QueueCounts]) -> None:
        """Keep the depths just read, unless a sample is recent."""
        now = time.monotonic()
        for count in counts:
            samples = self._samples.setdefault(count.queue_name, deque())
            if samples and now - samples[-1][0] < SAMPLE_INTERVAL:
                continue
            samples.append((now, count.depth))
            while samples and now - samples[0][0] > HISTORY_SECONDS:
                samples.popleft()

    def chart(self, queue_name: str, width: int, height: int) -> Chart:
        """The queue's samples drawn in a ``width`` x ``height`` box.

        Time runs left to right, from the oldest sample kept (at least a
        minute ago) to now; depth from the bottom up to the peak.
        """
        samples = list(self._samples.get(queue_name, ()))
        if not samples:
            return Chart("", "", 0, 0)
        now = time.monotonic()
        span = min(max(now - samples[0][0], 60.0), float(HISTORY_SECONDS))
        peak = max(depth for _, depth in samples)
        top = peak or 1
        points = [
            (
                width * max(0.0, 1 - (now - moment) / span),
                height - 1 - (height - 4) * depth / top,
            )
            for moment, depth in samples
        ]
        points.append((float(width), points[-1][1]))  # the last depth holds
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        area = f"{points[0][0]:.1f},{height} {line} {points[-1][0]:.1f},{height}"
        return Chart(line, area, peak, round(span / 60))


@dataclass(frozen=True)
class Chart:
    """A depth chart ready for SVG: a line, the area under it, and labels."""

    line: str
    """Polyline points."""

    area: str
    """Polygon points: the line closed along the bottom."""

    peak: int
    """The highest depth drawn."""

    minutes: int
    """How many minutes the chart spans."""
