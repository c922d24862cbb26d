"""Settings for the progress, retry, failure and workers tests.

Run as tests/workers.py's run settings are: by `MockArqQueue.run_jobs` and
by real ``arq`` and ``queue-core worker`` processes alike, on
`tests.workers.RUN_QUEUE` (or the queue the environment names). A job that
must stay running until a test has looked at it waits for a gate: a file
the test creates.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from arq.worker import Retry, func

from queue_core import WorkerSettings as QueueWorkerSettings
from queue_core import build_arq_redis_settings, report_progress
from tests.workers import QUEUE_ENV, REDIS_URL_ENV, RUN_QUEUE, echo, fail

GATE_TIMEOUT = 30.0
"""Longest a job waits for its gate, in seconds."""


async def wait_for(gate: str) -> None:
    """Return once the gate file exists (or after `GATE_TIMEOUT`)."""
    async with asyncio.timeout(GATE_TIMEOUT):
        while not await asyncio.to_thread(Path(gate).exists):
            await asyncio.sleep(0.01)


async def report_then_wait(
    ctx: dict[Any, Any], gate: str, done: float, total: float | None, message: str
) -> str:
    """Report ``done`` of ``total``, wait for the gate, then report all done."""
    await report_progress(ctx, done, total, message)
    await wait_for(gate)
    await report_progress(ctx, total or done, total, "finished")
    return "reported"


async def report(
    ctx: dict[Any, Any], done: float, total: float | None, message: str | None
) -> str:
    """Report once and return."""
    await report_progress(ctx, done, total, message)
    return "reported"


async def report_then_retry(ctx: dict[Any, Any]) -> str:
    """Report, then ask to run again a minute later, on the first try."""
    await report_progress(ctx, 1, 2, "first try" if ctx["job_try"] == 1 else "again")
    if ctx["job_try"] == 1:
        raise Retry(defer=60)
    return "done"


ProgressSettings = QueueWorkerSettings(
    functions=[
        report_then_wait,
        report,
        report_then_retry,
        func(report, name="report_forgotten", keep_result=0),
        echo,
        fail,
    ],
    redis_settings=build_arq_redis_settings(
        os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
    ),
    queue_name=os.environ.get(QUEUE_ENV, RUN_QUEUE),
    poll_delay=0.05,
    max_jobs=10,
    health_check_interval=0.2,  # arq rewrites its counts this often
)
"""Jobs that report progress, fail, or wait for a test."""
