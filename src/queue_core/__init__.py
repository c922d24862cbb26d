"""queue-core: a framework-agnostic arq client, drop-in for safir.arq."""

from ._config import RedactedRedisSettings, WorkerSettings, build_arq_redis_settings
from ._embedded import EmbeddedArqQueue, EmbeddedRedis, find_redis_server
from ._exceptions import (
    ArqJobError,
    JobDeserializationError,
    JobNotFound,
    JobNotQueued,
    JobResultUnavailable,
    JobSerializationError,
)
from ._factory import open_arq_queue
from ._jobs import JobSpec
from ._mock import MockArqQueue
from ._models import ArqMode, JobMetadata, JobResult, JobStatus
from ._queue import ArqQueue
from ._redis import RedisArqQueue
from ._serializers import (
    RemoteJobError,
    json_deserializer,
    json_serializer,
    msgpack_deserializer,
    msgpack_serializer,
)

__all__ = [
    "ArqJobError",
    "ArqMode",
    "ArqQueue",
    "EmbeddedArqQueue",
    "EmbeddedRedis",
    "JobDeserializationError",
    "JobMetadata",
    "JobNotFound",
    "JobNotQueued",
    "JobResult",
    "JobResultUnavailable",
    "JobSerializationError",
    "JobSpec",
    "JobStatus",
    "MockArqQueue",
    "RedactedRedisSettings",
    "RedisArqQueue",
    "RemoteJobError",
    "WorkerSettings",
    "build_arq_redis_settings",
    "find_redis_server",
    "json_deserializer",
    "json_serializer",
    "msgpack_deserializer",
    "msgpack_serializer",
    "open_arq_queue",
]
