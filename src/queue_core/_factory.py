"""One place that turns an `ArqMode` into an open queue, for every shim."""

from __future__ import annotations

from typing import Any

from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, Serializer
from arq.worker import get_kwargs

from ._embedded import EmbeddedArqQueue
from ._mock import MockArqQueue
from ._models import ArqMode
from ._queue import ArqQueue
from ._redis import RedisArqQueue

__all__ = ["open_arq_queue"]


async def open_arq_queue(
    mode: ArqMode | str,
    *,
    redis_settings: RedisSettings | None = None,
    default_queue_name: str = arq_default_queue_name,
    worker_settings: Any = None,
    job_serializer: Serializer | None = None,
    job_deserializer: Deserializer | None = None,
    telemetry: bool = True,
) -> ArqQueue:
    """Open the queue a mode calls for; close it with `ArqQueue.aclose`.

    Args:
        mode: `ArqMode.production` (Redis at ``redis_settings``),
            `ArqMode.test` (a `MockArqQueue`) or `ArqMode.embedded` (a
            private redis-server, and a worker if ``worker_settings`` are
            given), or the mode's name.
        redis_settings: Where Redis is; required in production, ignored
            otherwise.
        default_queue_name: Queue used when a call names none.
        worker_settings: Worker settings (any form the ``arq`` command line
            takes). In embedded mode a worker runs with them in this event
            loop; in every mode their serializers are the default.
        job_serializer: Serializer for jobs and results.
        job_deserializer: Deserializer for jobs and results.
        telemetry: Emit OpenTelemetry spans and metrics if OpenTelemetry is
            installed (docs/telemetry.md); `False` turns them off.

    Raises:
        ValueError: ``mode`` is not a mode.
        RuntimeError: Production mode without ``redis_settings``.
    """
    mode = ArqMode(mode)
    if worker_settings is not None:
        worker_kwargs = get_kwargs(worker_settings)
        job_serializer = job_serializer or worker_kwargs.get("job_serializer")  # type: ignore[assignment]
        job_deserializer = job_deserializer or worker_kwargs.get("job_deserializer")  # type: ignore[assignment]
    if mode is ArqMode.production:
        if redis_settings is None:
            msg = "The redis_settings argument must be set for arq in production."
            raise RuntimeError(msg)
        return await RedisArqQueue.initialize(
            redis_settings,
            default_queue_name=default_queue_name,
            job_serializer=job_serializer,
            job_deserializer=job_deserializer,
            telemetry=telemetry,
        )
    if mode is ArqMode.test:
        return MockArqQueue(
            default_queue_name=default_queue_name,
            job_serializer=job_serializer,
            job_deserializer=job_deserializer,
            telemetry=telemetry,
        )
    return await EmbeddedArqQueue.start(
        worker_settings=worker_settings,
        default_queue_name=default_queue_name,
        job_serializer=job_serializer,
        job_deserializer=job_deserializer,
        telemetry=telemetry,
    )
