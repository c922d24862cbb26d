"""Spans and metrics through the OpenTelemetry API (imported only if installed)."""

from __future__ import annotations

import asyncio
import collections
import functools
import inspect
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final

from arq.worker import Function, Retry
from opentelemetry import context as otel_context
from opentelemetry import metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.metrics import _internal as _metrics_api
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from typing_extensions import override

from ._exceptions import JobNotQueued
from ._jobs import PlannedJob
from ._models import JobMetadata
from ._telemetry_base import (
    ORIGINAL,
    TRACE_KEY_PREFIX,
    ClientTelemetry,
    WorkerOptions,
    held_trace,
)

__all__ = ["BACKEND"]

logger = logging.getLogger(__name__)

SYSTEM: Final = "arq"

# Attribute names: OpenTelemetry's messaging conventions, and ours for what
# they have no name for.
MESSAGING_SYSTEM: Final = "messaging.system"
OPERATION_TYPE: Final = "messaging.operation.type"
OPERATION_NAME: Final = "messaging.operation.name"
DESTINATION: Final = "messaging.destination.name"
MESSAGE_ID: Final = "messaging.message.id"
BATCH_COUNT: Final = "messaging.batch.message_count"
ERROR_TYPE: Final = "error.type"
JOB_FUNCTION: Final = "arq.job.function"
JOB_TRY: Final = "arq.job.try"
JOB_OUTCOME: Final = "arq.job.outcome"
QUEUE: Final = "arq.queue.name"

_READS: Final = (
    "get_job_metadata",
    "get_job_result",
    "abort_job",
    "list_jobs",
    "count_jobs",
)
"""Queue methods that get CLIENT spans: each is one call, so a span is free."""

_TIMER_SLACK: Final = 0.02
"""Seconds by which a cancellation may precede arq's deadline, as this
wrapper sees it, and still be the timeout's (it starts a little later)."""

_FINISHED: Final = frozenset({"success", "failure", "aborted", "timeout"})
"""Outcomes after which arq deletes the job's keys."""


def _version() -> str:
    try:
        return version("queue-core")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "0"


_tracer = trace.get_tracer("queue_core", _version())
_meter = metrics.get_meter("queue_core", _version())
_sent = _meter.create_counter(
    "messaging.client.sent.messages",
    unit="{message}",
    description="Jobs a client sent to a queue",
)
_consumed = _meter.create_counter(
    "messaging.client.consumed.messages",
    unit="{message}",
    description="Jobs a worker took from a queue and ran",
)
_duration = _meter.create_histogram(
    "messaging.process.duration",
    unit="s",
    description="How long a worker ran a job",
)


_NO_SDK: Final = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
_UNKNOWN: Final = object()


def _recording() -> bool:
    """Whether an SDK is configured, so that spans can record at all.

    Asked on every call, so it reads the API's global directly when it can:
    `trace.get_tracer_provider` looks in ``os.environ`` each time until a
    provider is set, a cost the no-SDK path must not pay.
    """
    provider = getattr(trace, "_TRACER_PROVIDER", _UNKNOWN)
    if provider is _UNKNOWN:  # pragma: no cover - a future API's internals
        provider = trace.get_tracer_provider()
    return provider is not None and not isinstance(provider, _NO_SDK)


def _measuring() -> bool:
    """Whether a metrics SDK is configured, so that counts go anywhere.

    Reads the API's global, as `_recording` does, for the same reason.
    """
    provider = getattr(_metrics_api, "_METER_PROVIDER", _UNKNOWN)
    if provider is _UNKNOWN:  # pragma: no cover - a future API's internals
        provider = metrics.get_meter_provider()
    return provider is not None and not isinstance(provider, metrics.NoOpMeterProvider)


def _carrier(context: Context | None) -> bytes | None:
    """The context as the side key stores it; `None` when no trace is active."""
    if context is None and not otel_context.get_current():
        return None  # nothing attached at all: the common case without an SDK
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    return json.dumps(carrier, separators=(",", ":")).encode()


def _failed(span: Span, exc: BaseException, description: str | None = None) -> None:
    span.record_exception(exc)
    span.set_attribute(ERROR_TYPE, type(exc).__qualname__)
    span.set_status(Status(StatusCode.ERROR, description or f"{exc!r}"))


class _Client(ClientTelemetry):
    """Spans and counts for one queue's writes and reads."""

    def __init__(self, queue: Any) -> None:
        self._queue = weakref.ref(queue)
        self.queue_names: dict[str, None] = {queue.default_queue_name: None}
        self._attributes: dict[str, dict[str, str]] = {}
        for name in _READS:
            method = getattr(queue, name)
            setattr(queue, name, _traced_read(name, method))
        _GAUGES.add(self)

    def _queue_attributes(self, queue_name: str) -> dict[str, str]:
        attributes = self._attributes.get(queue_name)
        if attributes is None:
            self.queue_names[queue_name] = None
            attributes = self._attributes[queue_name] = {
                MESSAGING_SYSTEM: SYSTEM,
                OPERATION_NAME: "send",
                DESTINATION: queue_name,
            }
        return attributes

    @override
    async def send(
        self, job: PlannedJob, store: Callable[[PlannedJob], Awaitable[JobMetadata]]
    ) -> JobMetadata:
        counted = self._queue_attributes(job.queue_name)
        if not _recording():
            job.trace = _carrier(None)
            try:
                stored = await store(job)
            except BaseException as exc:
                _sent.add(1, {**counted, ERROR_TYPE: type(exc).__qualname__})
                raise
            _sent.add(1, counted)
            return stored
        span = _tracer.start_span(
            f"send {job.queue_name}",
            kind=SpanKind.PRODUCER,
            attributes={
                **counted,
                OPERATION_TYPE: "send",
                MESSAGE_ID: job.job_id,
            },
        )
        with trace.use_span(
            span,
            end_on_exit=True,
            record_exception=False,
            set_status_on_exception=False,
        ):
            job.trace = _carrier(trace.set_span_in_context(span))
            try:
                stored = await store(job)
            except BaseException as exc:
                _failed(span, exc)
                _sent.add(1, {**counted, ERROR_TYPE: type(exc).__qualname__})
                raise
        _sent.add(1, counted)
        return stored

    @override
    async def send_many(
        self,
        jobs: list[PlannedJob],
        store: Callable[
            [list[PlannedJob]], Awaitable[list[JobMetadata | JobNotQueued]]
        ],
    ) -> list[JobMetadata | JobNotQueued]:
        names = {job.queue_name for job in jobs}
        for name in names:
            self._queue_attributes(name)
        if not _recording():
            trace_context = _carrier(None)
            span: Span = trace.INVALID_SPAN
        else:
            single = next(iter(names)) if len(names) == 1 else None
            attributes: dict[str, Any] = {
                MESSAGING_SYSTEM: SYSTEM,
                OPERATION_TYPE: "send",
                OPERATION_NAME: "send",
                BATCH_COUNT: len(jobs),
            }
            if single is not None:
                attributes[DESTINATION] = single
            span = _tracer.start_span(
                "send" if single is None else f"send {single}",
                kind=SpanKind.PRODUCER,
                attributes=attributes,
            )
            trace_context = _carrier(trace.set_span_in_context(span))
        if trace_context is not None:
            for job in jobs:
                job.trace = trace_context
        with trace.use_span(
            span,
            end_on_exit=True,
            record_exception=False,
            set_status_on_exception=False,
        ):
            try:
                outcomes = await store(jobs)
            except BaseException as exc:
                _failed(span, exc)
                for name, count in collections.Counter(
                    j.queue_name for j in jobs
                ).items():
                    _sent.add(
                        count,
                        {**self._attributes[name], ERROR_TYPE: type(exc).__qualname__},
                    )
                raise
        counts = collections.Counter(
            (job.queue_name, isinstance(outcome, JobNotQueued))
            for job, outcome in zip(jobs, outcomes, strict=True)
        )
        for (name, refused), count in counts.items():
            counted = self._attributes[name]
            _sent.add(
                count, {**counted, ERROR_TYPE: "JobNotQueued"} if refused else counted
            )
        return outcomes

    def counts(self) -> dict[str, tuple[int, int]]:
        """Each watched queue's depth and in-progress count, in one read."""
        queue = self._queue()
        if queue is None:
            return {}
        counts: dict[str, tuple[int, int]] = queue._queue_counts(list(self.queue_names))  # noqa: SLF001
        return counts


def _traced_read(
    name: str, method: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    """A read method that runs in a CLIENT span when an SDK records spans."""
    signature = inspect.signature(method)
    queue = method.__self__  # type: ignore[attr-defined]

    @functools.wraps(method)
    async def read(*args: Any, **kwargs: Any) -> Any:
        if not _recording():
            return await method(*args, **kwargs)
        bound = signature.bind(*args, **kwargs).arguments
        queue_name = bound.get("queue_name") or queue.default_queue_name
        attributes = {
            MESSAGING_SYSTEM: SYSTEM,
            OPERATION_NAME: name,
            DESTINATION: queue_name,
        }
        if "job_id" in bound:
            attributes[MESSAGE_ID] = bound["job_id"]
        with _tracer.start_as_current_span(
            f"{name} {queue_name}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                return await method(*args, **kwargs)
            except BaseException as exc:
                _failed(span, exc)
                raise

    return read


# Queue gauges: every open queue with telemetry reports the queues it used.
# A collection calls both gauges' callbacks; the first reads both values in
# one round trip a queue and leaves the other's for the second.

_GAUGES: weakref.WeakSet[_Client] = weakref.WeakSet()
_STALE_AFTER: Final = 5.0
"""Seconds after which an unclaimed reading is read again."""
_pending: dict[str, tuple[float, list[Observation]]] = {}


def _read_gauges() -> tuple[list[Observation], list[Observation]]:
    depth: list[Observation] = []
    running: list[Observation] = []
    for client in list(_GAUGES):
        try:
            counts = client.counts()
        except Exception:
            logger.debug("Cannot read queue counts", exc_info=True)
            continue
        for name, (queued, in_progress) in counts.items():
            attributes = {MESSAGING_SYSTEM: SYSTEM, DESTINATION: name}
            depth.append(Observation(queued, attributes))
            running.append(Observation(in_progress, attributes))
    return depth, running


def _gauge(kind: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
    other = "in_progress" if kind == "depth" else "depth"

    def observe(_options: CallbackOptions) -> Iterator[Observation]:
        pending = _pending.pop(kind, None)
        if pending is not None and time.monotonic() - pending[0] < _STALE_AFTER:
            yield from pending[1]
            return
        depth, running = _read_gauges()
        mine, theirs = (depth, running) if kind == "depth" else (running, depth)
        _pending[other] = (time.monotonic(), theirs)
        yield from mine

    return observe


_meter.create_observable_gauge(
    "arq.queue.depth",
    callbacks=[_gauge("depth")],
    unit="{job}",
    description="Jobs in a queue, queued, deferred or running (as arq counts)",
)
_meter.create_observable_gauge(
    "arq.queue.in_progress",
    callbacks=[_gauge("in_progress")],
    unit="{job}",
    description="Jobs of a queue a worker is running",
)


# Workers


def _job_options(
    function: Function, options: WorkerOptions
) -> tuple[float | None, int]:
    timeout = (
        options.job_timeout_s if function.timeout_s is None else function.timeout_s
    )
    tries = options.max_tries if function.max_tries is None else function.max_tries
    return timeout, tries


async def _read_context(ctx: dict[Any, Any]) -> tuple[Context | None, Any]:
    """The enqueuing trace's context from the job's side key, and the client.

    The client is `None` when there is no side key to delete.
    """
    held = held_trace.get()
    redis = ctx.get("redis")
    job_id = ctx.get("job_id")
    if held is not None:
        stored, redis = held[0], None
    elif redis is None or job_id is None:
        return None, None
    else:
        stored = await redis.get(TRACE_KEY_PREFIX + job_id)
    if stored is None:
        return None, None
    try:
        carrier = json.loads(stored)
    except ValueError:
        return None, redis
    return propagate.extract(carrier), redis


def _outcome(
    exc: BaseException, elapsed: float, timeout: float | None, options: WorkerOptions
) -> str:
    if isinstance(exc, Retry):
        return "retry"
    if isinstance(exc, asyncio.CancelledError):
        # arq cancels a job for three reasons: its timeout, an abort, or the
        # worker's shutdown (the job runs again); only the timeout's is timed.
        if timeout is not None and elapsed >= timeout - _TIMER_SLACK:
            return "timeout"
        return "aborted" if options.allow_abort_jobs else "cancelled"
    return "failure"


def _describe(outcome: str, exc: BaseException, timeout: float | None) -> str:
    if outcome == "timeout":
        return f"job timed out after {timeout}s"
    if outcome == "aborted":
        return "job aborted"
    if outcome == "cancelled":
        return "job cancelled (the worker stopped); it runs again"
    return f"{type(exc).__qualname__}: {exc}"


class _Backend:
    """What `_telemetry` loads when OpenTelemetry is installed."""

    def client(self, queue: Any) -> ClientTelemetry:
        return _Client(queue)

    def instrument(self, function: Function, options: WorkerOptions) -> Function:
        original = function.coroutine
        name = function.name
        timeout, max_tries = _job_options(function, options)
        base = {MESSAGING_SYSTEM: SYSTEM, DESTINATION: options.queue_name}

        @functools.wraps(original)
        async def run(ctx: dict[Any, Any], *args: Any, **kwargs: Any) -> Any:
            if held_trace.get() is not None and not (_recording() or _measuring()):
                # Nothing would record the span or the counts, and the worker
                # already took care of the side key (queue-core's worker, the
                # mock): the 3% budget allows no more than this check.
                return await original(ctx, *args, **kwargs)
            # arq's timeout counts from just before this first step.
            clock = asyncio.get_running_loop().time
            entered = clock()
            parent, redis = await _read_context(ctx)
            job_try = ctx.get("job_try", 1)
            span = _tracer.start_span(
                f"process {options.queue_name}",
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes={
                    **base,
                    OPERATION_TYPE: "process",
                    OPERATION_NAME: "process",
                    MESSAGE_ID: ctx.get("job_id", ""),
                    JOB_FUNCTION: name,
                    JOB_TRY: job_try,
                },
            )
            outcome = "success"
            started = time.perf_counter()
            try:
                with trace.use_span(
                    span, record_exception=False, set_status_on_exception=False
                ):
                    return await original(ctx, *args, **kwargs)
            except BaseException as exc:
                outcome = _outcome(exc, clock() - entered, timeout, options)
                if outcome == "retry":
                    span.record_exception(exc)
                elif outcome == "timeout":
                    error = TimeoutError(_describe(outcome, exc, timeout))
                    _failed(span, error, str(error))
                else:
                    _failed(span, exc, _describe(outcome, exc, timeout))
                raise
            finally:
                elapsed = time.perf_counter() - started
                span.set_attribute(JOB_OUTCOME, outcome)
                span.end()
                measured = {**base, OPERATION_NAME: "process", JOB_FUNCTION: name}
                _consumed.add(1, measured)
                _duration.record(elapsed, {**measured, JOB_OUTCOME: outcome})
                # The side key goes when arq deletes the job's keys: after a
                # last run, or a retry arq will refuse for too many tries.
                if redis is not None and (outcome in _FINISHED or job_try >= max_tries):
                    await asyncio.shield(redis.delete(TRACE_KEY_PREFIX + ctx["job_id"]))

        setattr(run, ORIGINAL, original)
        object.__setattr__(function, "coroutine", run)
        return function


BACKEND: Final = _Backend()
"""The one backend; `_telemetry` imports it on first use."""
