"""The README app's worker: ``REDIS_URL=... arq readme_worker.WorkerSettings``."""

import os
from typing import Any

from queue_core import WorkerSettings as QueueWorkerSettings
from queue_core import build_arq_redis_settings


async def build_report(ctx: dict[Any, Any], period: str) -> dict[str, object]:
    # The slow work the app hands off; its return value is the job's result.
    return {"period": period, "rows": 3, "try": ctx["job_try"]}


WorkerSettings = QueueWorkerSettings(
    functions=[build_report],
    redis_settings=build_arq_redis_settings(
        os.environ.get("REDIS_URL", "redis://localhost:6379/0")
    ),
)
