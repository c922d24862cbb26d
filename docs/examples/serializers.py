"""JSON instead of pickle: the same serializers on worker, clients and mock."""

from typing import Any

from queue_core import (
    ArqMode,
    ArqQueue,
    MockArqQueue,
    WorkerSettings,
    build_arq_redis_settings,
    json_deserializer,
    json_serializer,
    open_arq_queue,
)

REDIS = build_arq_redis_settings("redis://localhost:6379/0")


async def divide(ctx: dict[Any, Any], a: float, b: float) -> float:  # noqa: ARG001 - arq passes ctx to every task
    return a / b


# The worker reads jobs and writes results with them ...
worker_settings = WorkerSettings(
    functions=[divide],
    redis_settings=REDIS,
    job_serializer=json_serializer,
    job_deserializer=json_deserializer,
)


# ... so every client uses them too: open_arq_queue, arq_lifespan, ArqConfig
# and RedisArqQueue.initialize take the same two arguments (or read them
# from worker_settings=...) ...
async def open_queue() -> ArqQueue:
    return await open_arq_queue(
        ArqMode.production,
        redis_settings=REDIS,
        job_serializer=json_serializer,
        job_deserializer=json_deserializer,
    )


# ... and so does the mock in tests, so they fail on what JSON cannot carry.
mock = MockArqQueue(job_serializer=json_serializer, job_deserializer=json_deserializer)
