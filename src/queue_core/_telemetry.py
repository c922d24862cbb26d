"""Telemetry hooks for queues and workers; OpenTelemetry loads only if installed."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence
from typing import Any, Final, TypeVar

from arq.constants import default_queue_name as arq_default_queue_name
from arq.typing import SecondsTimedelta
from arq.utils import to_seconds
from arq.worker import Worker, func

from ._telemetry_base import ORIGINAL, Backend, ClientTelemetry, WorkerOptions

__all__ = [
    "client_telemetry",
    "instrument_functions",
    "instrument_worker",
]

_NOT_LOADED: Final = object()
_backend_cache: Any = _NOT_LOADED


def _backend() -> Backend | None:
    """The OpenTelemetry backend, imported on first use; `None` if not installed."""
    global _backend_cache  # noqa: PLW0603 - imported once per process
    if _backend_cache is _NOT_LOADED:
        try:
            from ._otel import BACKEND  # noqa: PLC0415 - only when installed
        except ImportError as exc:
            if not (exc.name or "").startswith("opentelemetry"):
                raise
            _backend_cache = None
        else:
            _backend_cache = BACKEND
    backend: Backend | None = _backend_cache
    return backend


def client_telemetry(queue: Any, enabled: bool) -> ClientTelemetry | None:
    """The queue's telemetry, or `None` if off or OpenTelemetry is missing."""
    if not enabled:
        return None
    backend = _backend()
    return None if backend is None else backend.client(queue)


_WORKER_DEFAULTS: Final[dict[str, Any]] = {
    name: parameter.default
    for name, parameter in inspect.signature(Worker).parameters.items()
    if name in {"job_timeout", "max_tries", "allow_abort_jobs"}
}


def instrument_functions(
    functions: Sequence[Any],
    *,
    enabled: bool = True,
    queue_name: str = arq_default_queue_name,
    job_timeout: SecondsTimedelta = _WORKER_DEFAULTS["job_timeout"],
    max_tries: int = _WORKER_DEFAULTS["max_tries"],
    allow_abort_jobs: bool = _WORKER_DEFAULTS["allow_abort_jobs"],
) -> list[Any]:
    """Worker functions whose every run is traced and measured.

    Each becomes an `arq.worker.Function` under the name arq would register
    it by, its options (and class) kept. Functions instrumented before are
    instrumented again with these options; with ``enabled=False`` (or without
    OpenTelemetry) they get their own coroutines back.
    """
    backend = _backend() if enabled else None
    options = WorkerOptions(
        queue_name, to_seconds(job_timeout), max_tries, allow_abort_jobs
    )
    result: list[Any] = []
    for item in functions:
        if backend is None and not hasattr(getattr(item, "coroutine", None), ORIGINAL):
            result.append(item)
            continue
        function = copy.copy(func(item))
        original = getattr(function.coroutine, ORIGINAL, function.coroutine)
        object.__setattr__(function, "coroutine", original)
        result.append(
            function if backend is None else backend.instrument(function, options)
        )
    return result


_Settings = TypeVar("_Settings")


def instrument_worker(settings: _Settings) -> _Settings:
    """Trace and measure the jobs of arq's own worker settings.

    `queue_core.WorkerSettings` does this itself; for arq's plain settings
    class (or dict) add one line, ``@instrument_worker`` above the class or
    ``WorkerSettings = instrument_worker(WorkerSettings)``. The settings are
    changed in place and returned; nothing happens without OpenTelemetry.
    """
    values: Any = settings if isinstance(settings, dict) else vars(settings)
    functions = instrument_functions(
        values.get("functions", ()),
        queue_name=values.get("queue_name") or arq_default_queue_name,
        job_timeout=values.get("job_timeout", _WORKER_DEFAULTS["job_timeout"]),
        max_tries=values.get("max_tries", _WORKER_DEFAULTS["max_tries"]),
        allow_abort_jobs=values.get(
            "allow_abort_jobs", _WORKER_DEFAULTS["allow_abort_jobs"]
        ),
    )
    if isinstance(settings, dict):
        settings["functions"] = functions
    else:
        setattr(settings, "functions", functions)  # noqa: B010 - any class
    return settings
