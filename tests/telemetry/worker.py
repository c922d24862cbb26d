"""Worker settings for the telemetry tests, run as ``python -m arq``.

The suite's worker functions plus a flaky, a timed and a report task; the
process exports its spans to ``$QUEUE_CORE_TEST_SPANS``.
"""

from __future__ import annotations

import os
from typing import Any

from arq.worker import Retry, func

from queue_core import WorkerSettings as QueueWorkerSettings
from queue_core import build_arq_redis_settings
from tests import workers
from tests.telemetry.spans import export_spans_to_file

TELEMETRY_ENV = "QUEUE_CORE_TEST_WORKER_TELEMETRY"
"""``0`` starts the worker with ``telemetry=False``."""

SLOW_TIMEOUT = 0.5
"""Seconds the ``slow`` task may run."""

export_spans_to_file("worker")


async def flaky(ctx: dict[Any, Any], succeed_on: int) -> int:
    """Ask arq to retry until try ``succeed_on``; return the try number."""
    if ctx["job_try"] < succeed_on:
        raise Retry(defer=0.01)
    return int(ctx["job_try"])


async def build_report(ctx: dict[Any, Any], period: str) -> str:  # noqa: ARG001
    """The task docs/examples/starlette_app.py enqueues."""
    return f"report for {period}"


WorkerSettings = QueueWorkerSettings(
    functions=[
        *workers.FUNCTIONS,
        flaky,
        build_report,
        func(workers.sleep, name="slow", timeout=SLOW_TIMEOUT),
    ],
    redis_settings=build_arq_redis_settings(
        os.environ.get(workers.REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
    ),
    queue_name=os.environ.get(workers.QUEUE_ENV, "arq:queue"),
    allow_abort_jobs=True,
    poll_delay=0.05,
    max_tries=3,
    job_timeout=60,
    telemetry=os.environ.get(TELEMETRY_ENV, "1") == "1",
)
