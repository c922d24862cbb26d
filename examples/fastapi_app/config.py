"""Configuration of the example service, from ``APP_*`` environment variables."""

from arq.connections import RedisSettings
from pydantic import Field, RedisDsn, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from queue_core import ArqMode, build_arq_redis_settings

__all__ = ["Config"]


class Config(BaseSettings):
    """Settings shared by the web app and its worker."""

    model_config = SettingsConfigDict(env_prefix="APP_")

    arq_mode: ArqMode = Field(
        default=ArqMode.embedded,
        description=(
            "production: the Redis at arq_queue_url, with workers run by the"
            " arq command; embedded: a private redis-server and an in-process"
            " worker, nothing to install; test: the in-memory mock"
        ),
    )

    arq_queue_url: RedisDsn = Field(
        default=RedisDsn("redis://localhost:6379/0"),
        description="The Redis for arq (redis:// or rediss://), in production",
    )

    arq_queue_password: SecretStr | None = Field(
        default=None, description="Password for that Redis, if not in the URL"
    )

    arq_queue_name: str = Field(default="arq:queue", description="The queue jobs go to")

    metrics: bool = Field(
        default=False,
        description="Serve the queue's metrics for Prometheus at /metrics",
    )

    worker_metrics_port: int | None = Field(
        default=None,
        description="Port on which the worker serves its metrics for Prometheus",
    )

    @property
    def arq_redis_settings(self) -> RedisSettings:
        """Settings for arq's Redis pool and workers; their repr hides secrets."""
        return build_arq_redis_settings(self.arq_queue_url, self.arq_queue_password)
