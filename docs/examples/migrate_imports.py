"""After migrating from safir.arq: only the imports changed."""

from queue_core import (
    ArqJobError,
    ArqMode,
    ArqQueue,
    JobMetadata,
    JobNotFound,
    JobNotQueued,
    JobResult,
    JobResultUnavailable,
    MockArqQueue,
    RedisArqQueue,
    WorkerSettings,
    build_arq_redis_settings,
)
from queue_fastapi import ArqDependency, arq_dependency

__all__ = [
    "ArqDependency",
    "ArqJobError",
    "ArqMode",
    "ArqQueue",
    "JobMetadata",
    "JobNotFound",
    "JobNotQueued",
    "JobResult",
    "JobResultUnavailable",
    "MockArqQueue",
    "RedisArqQueue",
    "WorkerSettings",
    "arq_dependency",
    "build_arq_redis_settings",
]
