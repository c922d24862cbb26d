"""Worker settings for the benchmark's real worker processes.

``python -m arq benchmarks.worker.WorkerSettings`` (or ``python -m
queue_core worker ...``) with the Redis URL, queue name, ``poll_delay``,
``max_jobs`` and whether telemetry is on in the environment (see
`worker_env`). Everything else is arq's default.
"""

from __future__ import annotations

import os
from typing import Any

from queue_core import WorkerSettings as QueueWorkerSettings
from queue_core import build_arq_redis_settings, task

REDIS_URL_ENV = "QUEUE_CORE_BENCH_REDIS_URL"
QUEUE_ENV = "QUEUE_CORE_BENCH_QUEUE"
POLL_DELAY_ENV = "QUEUE_CORE_BENCH_POLL_DELAY"
MAX_JOBS_ENV = "QUEUE_CORE_BENCH_MAX_JOBS"
TELEMETRY_ENV = "QUEUE_CORE_BENCH_TELEMETRY"


@task
async def noop(ctx: dict[Any, Any]) -> None:
    """Do nothing: the benchmark measures the queue, not the task.

    A typed task, so the benchmark can enqueue it by name and by reference.
    """


async def echo(ctx: dict[Any, Any], value: Any) -> Any:  # noqa: ARG001
    """Return the argument, so the job has a result to read."""
    return value


def worker_env(
    redis_url: str,
    queue_name: str,
    *,
    poll_delay: float,
    max_jobs: int,
    telemetry: bool = True,
) -> dict[str, str]:
    """The environment variables these settings read."""
    return {
        REDIS_URL_ENV: redis_url,
        QUEUE_ENV: queue_name,
        POLL_DELAY_ENV: str(poll_delay),
        MAX_JOBS_ENV: str(max_jobs),
        TELEMETRY_ENV: "1" if telemetry else "0",
    }


WorkerSettings = QueueWorkerSettings(
    functions=[noop, echo],
    redis_settings=build_arq_redis_settings(
        os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
    ),
    queue_name=os.environ.get(QUEUE_ENV, "arq:queue"),
    poll_delay=float(os.environ.get(POLL_DELAY_ENV, "0.5")),
    max_jobs=int(os.environ.get(MAX_JOBS_ENV, "10")),
    telemetry=os.environ.get(TELEMETRY_ENV, "1") == "1",
)
