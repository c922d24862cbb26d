"""What the telemetry hooks and their OpenTelemetry backend share.

`_telemetry` (the hooks queues and workers call) imports `_otel` (the
backend) on first use, so the backend takes these from here, never from
`_telemetry`: no module imports one that imports it back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Final, Protocol

from arq.worker import Function

from ._exceptions import JobNotQueued
from ._jobs import PlannedJob
from ._models import JobMetadata

__all__ = [
    "ORIGINAL",
    "TRACE_KEY_PREFIX",
    "Backend",
    "ClientTelemetry",
    "WorkerOptions",
    "held_trace",
]

TRACE_KEY_PREFIX: Final = "arq:trace:"
"""Prefix of the key that holds a job's W3C trace context beside arq's keys.

Written by the enqueue script with the job's own expiry, only while a trace
is active; read and deleted by the instrumented worker.
"""

ORIGINAL: Final = "__queue_core_original__"
"""Attribute of an instrumented coroutine that holds the user's own."""

_Outcomes = list[JobMetadata | JobNotQueued]

held_trace: ContextVar[tuple[bytes | None] | None] = ContextVar(
    "queue_core_held_trace", default=None
)
"""A job's trace context held in memory (the mock's run_jobs sets it), so
the instrumented worker function reads no side key."""


class ClientTelemetry(Protocol):
    """What a queue calls around its writes when telemetry is on."""

    async def send(
        self, job: PlannedJob, store: Callable[[PlannedJob], Awaitable[JobMetadata]]
    ) -> JobMetadata:
        """Store one job inside a PRODUCER span, its context set on the job."""
        ...

    async def send_many(
        self,
        jobs: list[PlannedJob],
        store: Callable[[list[PlannedJob]], Awaitable[_Outcomes]],
    ) -> _Outcomes:
        """Store a batch inside one PRODUCER span, its context set on each job."""
        ...


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """The worker settings a job's CONSUMER span needs to tell outcomes apart."""

    queue_name: str
    job_timeout_s: float | None
    max_tries: int
    allow_abort_jobs: bool


class Backend(Protocol):
    """What `_telemetry` asks of the backend it loads."""

    def client(self, queue: Any) -> ClientTelemetry:
        """The telemetry one queue calls around its writes."""
        ...

    def instrument(self, function: Function, options: WorkerOptions) -> Function:
        """``function``, its coroutine traced and measured."""
        ...
