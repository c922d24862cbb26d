"""Worker settings for production, run by ``arq yourapp.worker.WorkerSettings``."""

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from queue_core import WorkerSettings as QueueWorkerSettings
from queue_core import build_arq_redis_settings


async def startup(ctx: dict[Any, Any]) -> None:
    # Shared by every job this worker runs; shut down in shutdown.
    ctx["render_pool"] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="render")


async def shutdown(ctx: dict[Any, Any]) -> None:
    ctx["render_pool"].shutdown(wait=True)


def render(period: str) -> dict[str, Any]:
    # Blocking work runs in the shared pool, not on the worker's event loop.
    return {"period": period, "rendered_by": threading.current_thread().name}


async def build_report(ctx: dict[Any, Any], period: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(ctx["render_pool"], render, period)


WorkerSettings = QueueWorkerSettings(
    functions=[build_report],
    redis_settings=build_arq_redis_settings(
        os.environ.get("APP_ARQ_QUEUE_URL", "redis://localhost:6379/0"),
        os.environ.get("APP_ARQ_QUEUE_PASSWORD"),
    ),
    queue_name="arq:queue",
    on_startup=startup,
    on_shutdown=shutdown,
    poll_delay=0.1,  # latency to pick up a job; 10 cheap reads per second
    max_jobs=20,  # concurrent jobs per process; I/O-bound jobs allow more
    job_timeout=300,  # seconds; set above your slowest job
    job_completion_wait=25,  # below the grace period of your process manager
    allow_abort_jobs=True,  # needed for ArqQueue.abort_job
    keep_result=3600,  # seconds a result stays readable
)
