"""queue-core: a framework-agnostic arq client, drop-in for safir.arq."""

# Names load on first use, so that importing a submodule (the pytest plugin
# pytest loads in every session) stays cheap.
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._config import RedactedRedisSettings, WorkerSettings, build_arq_redis_settings
    from ._embedded import EmbeddedArqQueue, EmbeddedRedis, find_redis_server
    from ._exceptions import (
        ArqJobError,
        ExitCode,
        JobDeserializationError,
        JobNotFound,
        JobNotQueued,
        JobResultUnavailable,
        JobSerializationError,
    )
    from ._factory import ArqQueueOpener, open_arq_queue
    from ._failures import TRACEBACK_LIMIT
    from ._jobs import JobSpec
    from ._memory_store import MockRedisUnavailable
    from ._mock import MockArqQueue
    from ._models import (
        ArqMode,
        JobMetadata,
        JobProgress,
        JobResult,
        JobStatus,
        QueueCounts,
        ResultPage,
        WorkerInfo,
    )
    from ._progress import PROGRESS_KEY_PREFIX, PROGRESS_MESSAGE_LIMIT, report_progress
    from ._queue import ArqQueue
    from ._redis import RedisArqQueue
    from ._serializers import (
        RemoteJobError,
        json_deserializer,
        json_serializer,
        msgpack_deserializer,
        msgpack_serializer,
    )
    from ._tasks import Task, TaskOptions, task
    from ._telemetry import instrument_worker
    from ._telemetry_base import TRACE_KEY_PREFIX
    from ._worker import Worker, create_worker, run_worker
    from ._worker_config import UnknownWorkerSetting

_SOURCES: dict[str, str] = {
    "ExitCode": "._exceptions",
    "ArqJobError": "._exceptions",
    "ArqMode": "._models",
    "ArqQueue": "._queue",
    "ArqQueueOpener": "._factory",
    "EmbeddedArqQueue": "._embedded",
    "EmbeddedRedis": "._embedded",
    "JobDeserializationError": "._exceptions",
    "JobMetadata": "._models",
    "JobNotFound": "._exceptions",
    "JobNotQueued": "._exceptions",
    "JobProgress": "._models",
    "JobResult": "._models",
    "JobResultUnavailable": "._exceptions",
    "JobSerializationError": "._exceptions",
    "JobSpec": "._jobs",
    "JobStatus": "._models",
    "MockArqQueue": "._mock",
    "MockRedisUnavailable": "._memory_store",
    "PROGRESS_KEY_PREFIX": "._progress",
    "PROGRESS_MESSAGE_LIMIT": "._progress",
    "QueueCounts": "._models",
    "RedactedRedisSettings": "._config",
    "RedisArqQueue": "._redis",
    "ResultPage": "._models",
    "RemoteJobError": "._serializers",
    "Task": "._tasks",
    "TaskOptions": "._tasks",
    "WorkerSettings": "._config",
    "build_arq_redis_settings": "._config",
    "find_redis_server": "._embedded",
    "json_deserializer": "._serializers",
    "json_serializer": "._serializers",
    "msgpack_deserializer": "._serializers",
    "msgpack_serializer": "._serializers",
    "open_arq_queue": "._factory",
    "report_progress": "._progress",
    "TRACE_KEY_PREFIX": "._telemetry_base",
    "TRACEBACK_LIMIT": "._failures",
    "instrument_worker": "._telemetry",
    "task": "._tasks",
    "UnknownWorkerSetting": "._worker_config",
    "Worker": "._worker",
    "WorkerInfo": "._models",
    "create_worker": "._worker",
    "run_worker": "._worker",
}

__all__ = [
    "PROGRESS_KEY_PREFIX",
    "PROGRESS_MESSAGE_LIMIT",
    "TRACEBACK_LIMIT",
    "TRACE_KEY_PREFIX",
    "ArqJobError",
    "ArqMode",
    "ArqQueue",
    "ArqQueueOpener",
    "EmbeddedArqQueue",
    "EmbeddedRedis",
    "ExitCode",
    "JobDeserializationError",
    "JobMetadata",
    "JobNotFound",
    "JobNotQueued",
    "JobProgress",
    "JobResult",
    "JobResultUnavailable",
    "JobSerializationError",
    "JobSpec",
    "JobStatus",
    "MockArqQueue",
    "MockRedisUnavailable",
    "QueueCounts",
    "RedactedRedisSettings",
    "RedisArqQueue",
    "RemoteJobError",
    "ResultPage",
    "Task",
    "TaskOptions",
    "UnknownWorkerSetting",
    "Worker",
    "WorkerInfo",
    "WorkerSettings",
    "build_arq_redis_settings",
    "create_worker",
    "find_redis_server",
    "instrument_worker",
    "json_deserializer",
    "json_serializer",
    "msgpack_deserializer",
    "msgpack_serializer",
    "open_arq_queue",
    "report_progress",
    "run_worker",
    "task",
]


def __getattr__(name: str) -> Any:
    source = _SOURCES.get(name)
    if source is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    value = getattr(importlib.import_module(source, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
