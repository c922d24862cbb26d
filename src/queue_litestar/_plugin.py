"""The Litestar plugin: the queue in the lifespan, on app.state, injected."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, Serializer
from typing_extensions import override

from queue_core import (
    ArqMode,
    ArqQueue,
    JobMetadata,
    JobResult,
    JobStatus,
    open_arq_queue,
)

try:
    from litestar import Litestar
    from litestar.config.app import AppConfig
    from litestar.datastructures import State
    from litestar.di import Provide
except ImportError as exc:  # pragma: no cover - depends on the environment
    msg = 'queue_litestar needs Litestar: pip install "queue-core[litestar]"'
    raise ImportError(msg) from exc

try:
    from litestar.plugins import InitPlugin
except ImportError:  # pragma: no cover - Litestar < 2.15
    from litestar.plugins import InitPluginProtocol as InitPlugin  # type: ignore[assignment]

__all__ = ["ArqConfig", "ArqPlugin"]


@dataclass
class ArqConfig:
    """What `ArqPlugin` opens, and where handlers find it.

    The queue options are those of `queue_core.open_arq_queue`.
    """

    mode: ArqMode | str
    """Which queue to open (see `queue_core.ArqMode`)."""

    redis_settings: RedisSettings | None = None
    """Where Redis is; required in production."""

    dependency_key: str = "arq_queue"
    """Handler parameter name the queue is injected as."""

    state_key: str = "arq_queue"
    """Key of the queue on ``app.state``; a queue already there is used."""

    default_queue_name: str = arq_default_queue_name
    """Queue used when a call names none."""

    worker_settings: Any = None
    """Settings for the embedded mode's in-process worker."""

    job_serializer: Serializer | None = None
    """Serializer for jobs and results."""

    job_deserializer: Deserializer | None = None
    """Deserializer for jobs and results."""

    telemetry: bool = True
    """Emit OpenTelemetry spans and metrics, if OpenTelemetry is installed."""


class ArqPlugin(InitPlugin):
    """Open the arq queue in the app's lifespan and inject it into handlers.

    Handlers declare ``arq_queue: ArqQueue`` (Litestar 2.23 and later prefer,
    and warn otherwise, ``arq_queue: NamedDependency[ArqQueue]``); the queue is also on
    ``app.state.arq_queue``. If a queue is already there when the app starts
    (a test's mock), it is used and left open.

    Args:
        config: The queue to open and the keys to use.
    """

    __slots__ = ("_config",)

    def __init__(self, config: ArqConfig) -> None:
        self._config = config

    @property
    def config(self) -> ArqConfig:
        """The plugin's configuration."""
        return self._config

    @override
    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.dependencies[self._config.dependency_key] = Provide(
            self._provide, sync_to_thread=False
        )
        app_config.lifespan.append(self._lifespan)
        app_config.signature_namespace.update(
            ArqQueue=ArqQueue,
            JobMetadata=JobMetadata,
            JobResult=JobResult,
            JobStatus=JobStatus,
        )
        return app_config

    def _provide(self, state: State) -> ArqQueue:
        queue: ArqQueue | None = state.get(self._config.state_key)
        if queue is None:
            msg = f"No arq queue at app.state[{self._config.state_key!r}]"
            raise RuntimeError(msg)
        return queue

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        config = self._config
        if app.state.get(config.state_key) is not None:
            yield
            return
        queue = await open_arq_queue(
            config.mode,
            redis_settings=config.redis_settings,
            default_queue_name=config.default_queue_name,
            worker_settings=config.worker_settings,
            job_serializer=config.job_serializer,
            job_deserializer=config.job_deserializer,
            telemetry=config.telemetry,
        )
        app.state[config.state_key] = queue
        try:
            yield
        finally:
            del app.state[config.state_key]
            await queue.aclose()
