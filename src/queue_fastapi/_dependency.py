"""FastAPI dependencies for the arq queue, safir's `arq_dependency` included."""

from __future__ import annotations

from typing import Annotated, Any

from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, Serializer

from queue_core import ArqMode, ArqQueue, open_arq_queue

try:
    from fastapi import Depends
    from fastapi.requests import HTTPConnection
except ImportError as exc:  # pragma: no cover - depends on the environment
    msg = 'queue_fastapi needs FastAPI: pip install "queue-core[fastapi]"'
    raise ImportError(msg) from exc

from queue_starlette import arq_lifespan, get_arq_queue

__all__ = [
    "ArqDependency",
    "ArqQueueDep",
    "arq_dependency",
    "arq_lifespan",
    "get_arq_queue",
]


class ArqDependency:
    """A process-wide arq queue as a FastAPI dependency, as in safir.

    Call `initialize` in the app's lifespan and `aclose` when it ends; use
    ``Depends(arq_dependency)`` in handlers. Prefer `arq_lifespan` and
    `ArqQueueDep` in new apps: they keep the queue per app.
    """

    def __init__(self) -> None:
        self._arq_queue: ArqQueue | None = None

    async def initialize(
        self,
        *,
        mode: ArqMode | str,
        redis_settings: RedisSettings | None = None,
        default_queue_name: str = arq_default_queue_name,
        worker_settings: Any = None,
        job_serializer: Serializer | None = None,
        job_deserializer: Deserializer | None = None,
        telemetry: bool = True,
    ) -> None:
        """Open the queue (closing any previous one); see `open_arq_queue`.

        Raises:
            RuntimeError: Production mode without ``redis_settings``.
        """
        await self.aclose()
        self._arq_queue = await open_arq_queue(
            mode,
            redis_settings=redis_settings,
            default_queue_name=default_queue_name,
            worker_settings=worker_settings,
            job_serializer=job_serializer,
            job_deserializer=job_deserializer,
            telemetry=telemetry,
        )

    async def __call__(self) -> ArqQueue:
        """Get the queue (FastAPI calls this for ``Depends``).

        Raises:
            RuntimeError: `initialize` has not been called since the last
                `aclose`.
        """
        if self._arq_queue is None:
            msg = "ArqDependency is not initialized"
            raise RuntimeError(msg)
        return self._arq_queue

    async def aclose(self) -> None:
        """Close the queue; `initialize` must be called before further use."""
        if self._arq_queue is not None:
            queue, self._arq_queue = self._arq_queue, None
            await queue.aclose()


arq_dependency = ArqDependency()
"""The `ArqDependency` apps share, as ``safir.dependencies.arq`` has it."""


async def _request_arq_queue(request: HTTPConnection) -> ArqQueue:
    # A coroutine, so FastAPI does not run it in a thread for every request.
    return get_arq_queue(request)


ArqQueueDep = Annotated[ArqQueue, Depends(_request_arq_queue)]
"""The app's queue (from `arq_lifespan`) as a handler parameter type.

    @app.post("/jobs")
    async def post_job(arq_queue: ArqQueueDep) -> dict[str, str]: ...
"""
