"""Worker settings read as arq reads them, for queue-core's worker and the mock."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Final

from arq.connections import ArqRedis, RedisSettings
from arq.constants import health_check_key_suffix
from arq.cron import CronJob
from arq.jobs import Deserializer, Serializer
from arq.utils import to_seconds
from arq.worker import Function, Worker, func

__all__ = [
    "KNOWN_SETTINGS",
    "UnknownWorkerSetting",
    "WorkerConfig",
    "settings_values",
    "worker_config",
]

_WORKER_PARAMETERS: Final = inspect.signature(Worker).parameters

KNOWN_SETTINGS: Final = frozenset(_WORKER_PARAMETERS) | {"telemetry"}
"""Attribute names a settings object may have: arq's `Worker` parameters, and
`queue_core.WorkerSettings`'s ``telemetry`` (applied when it is built)."""

_Hook = Callable[[dict[Any, Any]], Any]


class UnknownWorkerSetting(TypeError):
    """A worker settings object has an attribute arq's worker does not know.

    arq ignores such attributes; a misspelt ``max_job`` would silently run
    with the default, so queue-core refuses it.
    """


def settings_values(settings: object) -> dict[str, Any]:
    """The settings' own attributes, as arq's ``get_kwargs`` reads them.

    Raises:
        UnknownWorkerSetting: An attribute that is not a worker setting.
    """
    values: Mapping[str, Any] = (
        settings if isinstance(settings, Mapping) else vars(settings)
    )
    unknown = sorted(
        name
        for name in values
        if name not in KNOWN_SETTINGS and not str(name).startswith("__")
    )
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        where = getattr(settings, "__qualname__", type(settings).__qualname__)
        msg = (
            f"worker settings {where} have unknown attribute(s) {names}; "
            "arq's worker settings are: " + ", ".join(sorted(_WORKER_PARAMETERS))
        )
        raise UnknownWorkerSetting(msg)
    return {name: value for name, value in values.items() if name in KNOWN_SETTINGS}


@dataclass(slots=True)
class WorkerConfig:
    """A worker's settings, resolved as arq's `Worker.__init__` resolves them."""

    functions: dict[str, Function | CronJob]
    queue_name: str
    cron_jobs: list[CronJob]
    redis_settings: RedisSettings | None
    redis_pool: ArqRedis | None
    burst: bool
    on_startup: _Hook | None
    on_shutdown: _Hook | None
    on_job_start: _Hook | None
    on_job_end: _Hook | None
    after_job_end: _Hook | None
    handle_signals: bool
    job_completion_wait: float
    max_jobs: int
    job_timeout_s: float | None
    keep_result_s: float
    keep_result_forever: bool
    poll_delay_s: float
    queue_read_limit: int
    max_tries: int
    health_check_interval: float
    health_check_key: str
    ctx: dict[Any, Any]
    retry_jobs: bool
    allow_abort_jobs: bool
    max_burst_jobs: int
    job_serializer: Serializer | None
    job_deserializer: Deserializer | None
    expires_extra_ms: int
    timezone: tzinfo | None
    log_results: bool

    @property
    def in_progress_timeout_ms(self) -> int:
        """How long a claimed job's in-progress key lives.

        arq's rule: the longest timeout of any function, plus 10 s.
        """
        longest = max(
            function.timeout_s or self.job_timeout_s or 0
            for function in self.functions.values()
        )
        return int((longest + 10) * 1000)


def worker_config(
    settings: object, *, default_queue_name: str | None = None, **overrides: Any
) -> WorkerConfig:
    """Read worker settings (a class, an instance or a dict) as arq does.

    ``overrides`` win over the settings, as for arq's ``create_worker``.
    ``default_queue_name`` serves when the settings name no queue and have
    no ``redis_pool`` to take it from (arq raises then).

    Raises:
        UnknownWorkerSetting: The settings have an attribute arq's worker
            does not know.
        RuntimeError: As arq's `Worker`: no functions, a function that is
            not a coroutine function, or cron jobs that are not `CronJob`.
        ValueError: As arq's `Worker`: no queue name and no pool.
    """
    values = {**settings_values(settings), **settings_values(overrides)}
    values.pop("telemetry", None)
    for name, value in _WORKER_PARAMETERS.items():
        values.setdefault(name, value.default)
    functions: dict[str, Function | CronJob] = {
        function.name: function for function in map(func, values["functions"])
    }
    queue_name = values["queue_name"]
    pool = values["redis_pool"]
    if queue_name is None:
        if pool is not None:
            queue_name = pool.default_queue_name
        elif default_queue_name is not None:
            queue_name = default_queue_name
        else:
            msg = "If queue_name is absent, redis_pool must be present."
            raise ValueError(msg)
    cron_jobs = list(values["cron_jobs"] or ())
    if not all(isinstance(job, CronJob) for job in cron_jobs):
        msg = "cron_jobs, must be instances of CronJob"
        raise RuntimeError(msg)
    # Each worker (and each mock run) keeps its own schedule.
    cron_jobs = [copy.copy(job) for job in cron_jobs]
    functions.update({job.name: job for job in cron_jobs})
    if not functions:
        msg = "at least one function or cron_job must be registered"
        raise RuntimeError(msg)
    max_jobs = int(values["max_jobs"])
    health_check_key = values["health_check_key"]
    timezone = values["timezone"]
    return WorkerConfig(
        functions=functions,
        queue_name=queue_name,
        cron_jobs=cron_jobs,
        redis_settings=None
        if pool is not None
        else values["redis_settings"] or RedisSettings(),
        redis_pool=pool,
        burst=bool(values["burst"]),
        on_startup=values["on_startup"],
        on_shutdown=values["on_shutdown"],
        on_job_start=values["on_job_start"],
        on_job_end=values["on_job_end"],
        after_job_end=values["after_job_end"],
        handle_signals=bool(values["handle_signals"]),
        job_completion_wait=values["job_completion_wait"] or 0,
        max_jobs=max_jobs,
        job_timeout_s=to_seconds(values["job_timeout"]),
        keep_result_s=to_seconds(values["keep_result"]) or 0,
        keep_result_forever=bool(values["keep_result_forever"]),
        poll_delay_s=to_seconds(values["poll_delay"]) or 0,
        queue_read_limit=values["queue_read_limit"] or max(max_jobs * 5, 100),
        max_tries=values["max_tries"],
        health_check_interval=to_seconds(values["health_check_interval"]) or 0,
        health_check_key=queue_name + health_check_key_suffix
        if health_check_key is None
        else health_check_key,
        ctx=values["ctx"] or {},
        retry_jobs=bool(values["retry_jobs"]),
        allow_abort_jobs=bool(values["allow_abort_jobs"]),
        max_burst_jobs=values["max_burst_jobs"],
        job_serializer=values["job_serializer"],
        job_deserializer=values["job_deserializer"],
        expires_extra_ms=values["expires_extra_ms"],
        timezone=datetime.now().astimezone().tzinfo if timezone is None else timezone,
        log_results=bool(values["log_results"]),
    )
