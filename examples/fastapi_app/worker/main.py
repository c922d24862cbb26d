"""Worker settings for the arq command line and for embedded mode."""

from typing import Any

import httpx

from examples.fastapi_app.config import Config
from examples.fastapi_app.telemetry import serve_metrics
from queue_core import WorkerSettings as QueueWorkerSettings

from .functions import check_url, count_words

__all__ = ["WorkerSettings", "build_worker_settings", "shutdown", "startup"]


async def startup(ctx: dict[Any, Any]) -> None:
    """Create what every job shares, once per worker; serve its metrics."""
    ctx["http_client"] = httpx.AsyncClient(timeout=10, follow_redirects=True)
    if ctx.get("metrics_port") is not None:
        serve_metrics(ctx["metrics_port"])  # APP_WORKER_METRICS_PORT


async def shutdown(ctx: dict[Any, Any]) -> None:
    """Release what `startup` created."""
    await ctx["http_client"].aclose()


def build_worker_settings(config: Config) -> QueueWorkerSettings:
    """Settings for a worker on the configured Redis and queue."""
    return QueueWorkerSettings(
        functions=[count_words, check_url],
        redis_settings=config.arq_redis_settings,
        queue_name=config.arq_queue_name,
        on_startup=startup,
        on_shutdown=shutdown,
        # A queued job waits at most this long before a worker sees it.
        poll_delay=0.1,
        # Jobs run at once per worker process: these tasks wait on I/O.
        max_jobs=20,
        job_timeout=60,
        allow_abort_jobs=True,
        ctx={"metrics_port": config.worker_metrics_port},
    )


WorkerSettings = build_worker_settings(Config())
"""What ``arq examples.fastapi_app.worker.main.WorkerSettings`` runs."""
