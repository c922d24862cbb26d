"""One place that turns an `ArqMode` into an open queue, for every shim."""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from types import TracebackType
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

__all__ = ["ArqQueueOpener", "open_arq_queue"]


class ArqQueueOpener:
    """A queue being opened: await it, or open and close it with ``async with``.

    What `open_arq_queue` returns, as asyncpg's ``create_pool`` returns a
    pool to await or enter: ``queue = await open_arq_queue(...)`` opens the
    queue (close it with `ArqQueue.aclose`, or enter it), and ``async with
    open_arq_queue(...) as queue:`` opens it and closes it on the way out.
    Nothing happens until then. It opens one queue, once: a second await or
    ``async with`` raises `RuntimeError`.
    """

    def __init__(self, opening: Coroutine[Any, Any, ArqQueue]) -> None:
        self._opening: Coroutine[Any, Any, ArqQueue] | None = opening
        self._queue: ArqQueue | None = None

    def __await__(self) -> Generator[Any, None, ArqQueue]:
        return self._claim().__await__()

    async def __aenter__(self) -> ArqQueue:
        self._queue = await self._claim()
        return self._queue

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        queue, self._queue = self._queue, None
        if queue is not None:
            await queue.__aexit__(exc_type, exc_value, traceback)

    def _claim(self) -> Coroutine[Any, Any, ArqQueue]:
        opening, self._opening = self._opening, None
        if opening is None:
            msg = (
                "This open_arq_queue(...) was already awaited or entered: it "
                "opens one queue, once; call open_arq_queue again for another"
            )
            raise RuntimeError(msg)
        return opening


def open_arq_queue(
    mode: ArqMode | str,
    *,
    redis_settings: RedisSettings | None = None,
    default_queue_name: str = arq_default_queue_name,
    worker_settings: Any = None,
    job_serializer: Serializer | None = None,
    job_deserializer: Deserializer | None = None,
    telemetry: bool = True,
) -> ArqQueueOpener:
    """Open the queue a mode calls for, in ``async with`` or with ``await``.

    ``async with open_arq_queue(...) as queue:`` closes the queue on the way
    out; ``queue = await open_arq_queue(...)`` leaves that to you
    (`ArqQueue.aclose`, or ``async with queue``).

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

    Returns:
        An `ArqQueueOpener`: nothing is opened until it is awaited or
        entered.

    Raises:
        ValueError: ``mode`` is not a mode (when opening).
        RuntimeError: Production mode without ``redis_settings`` (when
            opening).
    """

    async def opening() -> ArqQueue:
        serializer, deserializer = job_serializer, job_deserializer
        if worker_settings is not None:
            worker_kwargs = get_kwargs(worker_settings)
            serializer = serializer or worker_kwargs.get("job_serializer")  # type: ignore[assignment]
            deserializer = deserializer or worker_kwargs.get("job_deserializer")  # type: ignore[assignment]
        opened_mode = ArqMode(mode)
        if opened_mode is ArqMode.production:
            if redis_settings is None:
                msg = "The redis_settings argument must be set for arq in production."
                raise RuntimeError(msg)
            return await RedisArqQueue.initialize(
                redis_settings,
                default_queue_name=default_queue_name,
                job_serializer=serializer,
                job_deserializer=deserializer,
                telemetry=telemetry,
            )
        if opened_mode is ArqMode.test:
            return MockArqQueue(
                default_queue_name=default_queue_name,
                job_serializer=serializer,
                job_deserializer=deserializer,
                telemetry=telemetry,
            )
        return await EmbeddedArqQueue.start(
            worker_settings=worker_settings,
            default_queue_name=default_queue_name,
            job_serializer=serializer,
            job_deserializer=deserializer,
            telemetry=telemetry,
        )

    return ArqQueueOpener(opening())
