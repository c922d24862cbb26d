"""The lifespan that owns the app's arq queue, and its request accessor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Final

from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, Serializer

from queue_core import ArqMode, ArqQueue, open_arq_queue

try:
    from starlette.applications import Starlette
    from starlette.requests import HTTPConnection
    from starlette.types import Lifespan
except ImportError as exc:  # pragma: no cover - depends on the environment
    msg = 'queue_starlette needs Starlette: pip install "queue-core[starlette]"'
    raise ImportError(msg) from exc

__all__ = ["arq_lifespan", "get_arq_queue"]

STATE_KEY: Final = "arq_queue"
"""Name of the queue in the lifespan state and on ``app.state``."""


def arq_lifespan(
    *,
    mode: ArqMode | str,
    redis_settings: RedisSettings | None = None,
    default_queue_name: str = arq_default_queue_name,
    worker_settings: Any = None,
    job_serializer: Serializer | None = None,
    job_deserializer: Deserializer | None = None,
    lifespan: Lifespan[Any] | None = None,
    telemetry: bool = True,
) -> Callable[[Starlette], AbstractAsyncContextManager[dict[str, Any]]]:
    """Make a lifespan that opens the arq queue at startup and closes it.

    The queue is in the lifespan state (so ``request.state.arq_queue``) and
    on ``app.state.arq_queue``. If ``app.state.arq_queue`` is already set
    when the app starts (a test's mock), that queue is used and left open.

    Args:
        mode: Which queue to open (see `queue_core.ArqMode`).
        redis_settings: Where Redis is; required in production.
        default_queue_name: Queue used when a call names none.
        worker_settings: Settings for the embedded mode's worker.
        job_serializer: Serializer for jobs and results.
        job_deserializer: Deserializer for jobs and results.
        lifespan: The app's own lifespan, run inside this one (the queue is
            already open); the state it yields is kept.
        telemetry: Emit OpenTelemetry spans and metrics if OpenTelemetry is
            installed; `False` turns them off.

    Returns:
        A lifespan for ``Starlette(lifespan=...)`` or ``FastAPI(lifespan=...)``.
    """

    @asynccontextmanager
    async def arq_queue_lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        preset: ArqQueue | None = getattr(app.state, STATE_KEY, None)
        if preset is None:
            queue = await open_arq_queue(
                mode,
                redis_settings=redis_settings,
                default_queue_name=default_queue_name,
                worker_settings=worker_settings,
                job_serializer=job_serializer,
                job_deserializer=job_deserializer,
                telemetry=telemetry,
            )
            setattr(app.state, STATE_KEY, queue)
        else:
            queue = preset
        try:
            if lifespan is None:
                yield {STATE_KEY: queue}
            else:
                async with lifespan(app) as state:
                    yield {**(state or {}), STATE_KEY: queue}
        finally:
            if preset is None:
                delattr(app.state, STATE_KEY)
                await queue.aclose()

    return arq_queue_lifespan


def get_arq_queue(request: HTTPConnection) -> ArqQueue:
    """Get the app's arq queue in a request or websocket handler.

    Raises:
        RuntimeError: The app has no queue: its lifespan is not
            `arq_lifespan`, or has not started.
    """
    queue: ArqQueue | None = getattr(request.state, STATE_KEY, None)
    if queue is None:
        queue = getattr(request.app.state, STATE_KEY, None)
    if queue is None:
        msg = (
            "No arq queue on this app: add arq_lifespan(...) to its lifespan "
            "(Starlette(lifespan=arq_lifespan(mode=...)))"
        )
        raise RuntimeError(msg)
    return queue
