"""Worker settings for production, run by ``arq yourapp.worker.WorkerSettings``."""

import os
from typing import Any

import httpx

from queue_core import WorkerSettings as QueueWorkerSettings
from queue_core import build_arq_redis_settings


async def startup(ctx: dict[Any, Any]) -> None:
    # Shared by every job this worker runs; closed in shutdown.
    ctx["http_client"] = httpx.AsyncClient(timeout=10)


async def shutdown(ctx: dict[Any, Any]) -> None:
    await ctx["http_client"].aclose()


async def build_report(ctx: dict[Any, Any], period: str) -> dict[str, Any]:
    client: httpx.AsyncClient = ctx["http_client"]
    return {"period": period, "client_open": not client.is_closed}


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
