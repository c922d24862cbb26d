"""Configuration helpers: Redis settings from URLs, and worker settings."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, fields
from typing import Any, Final, Protocol, runtime_checkable
from urllib.parse import parse_qs, unquote, urlsplit

from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.cron import CronJob
from arq.jobs import Deserializer, Serializer
from arq.typing import SecondsTimedelta, StartupShutdown, WorkerCoroutine
from arq.worker import Function, Worker
from typing_extensions import override

__all__ = [
    "RedactedRedisSettings",
    "WorkerSettings",
    "build_arq_redis_settings",
]

_SCHEMES: Final = ("redis", "rediss", "unix")

_BOOL_WORDS: Final = {
    "1": True,
    "true": True,
    "yes": True,
    "0": False,
    "false": False,
    "no": False,
}


@runtime_checkable
class _SecretLike(Protocol):
    """Pydantic's `SecretStr`, duck-typed so pydantic stays optional."""

    def get_secret_value(self) -> str: ...


class RedactedRedisSettings(RedisSettings):
    """arq's `RedisSettings` whose repr never shows the password."""

    @override
    def __repr__(self) -> str:
        shown = {
            f.name: ("'**********'" if f.name == "password" and self.password else None)
            or repr(getattr(self, f.name))
            for f in fields(self)
        }
        return "RedisSettings({})".format(
            ", ".join(f"{k}={v}" for k, v in shown.items())
        )


def _parse_bool(name: str, value: str) -> bool:
    try:
        return _BOOL_WORDS[value.lower()]
    except KeyError:
        msg = f"Redis URL option {name} must be true or false, not {value!r}"
        raise ValueError(msg) from None


def _parse_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        msg = f"Redis URL option {name} must be an integer, not {value!r}"
        raise ValueError(msg) from None


_QUERY_OPTIONS: Final[Mapping[str, Callable[[str, str], object]]] = {
    "ssl_cert_reqs": lambda name, v: _choice(name, v, ("none", "optional", "required")),
    "ssl_ca_certs": lambda _, v: v,
    "ssl_certfile": lambda _, v: v,
    "ssl_keyfile": lambda _, v: v,
    "ssl_check_hostname": _parse_bool,
    "conn_timeout": _parse_int,
    "conn_retries": _parse_int,
    "conn_retry_delay": _parse_int,
    "max_connections": _parse_int,
}


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        choices = ", ".join(allowed)
        msg = f"Redis URL option {name} must be one of {choices}, not {value!r}"
        raise ValueError(msg)
    return value


def build_arq_redis_settings(
    url: object, password: str | _SecretLike | None = None
) -> RedisSettings:
    """Build arq's `RedisSettings` from a Redis URL.

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://``
            for TLS, or ``unix:///path/to/socket``; a `str` or any URL
            object (pydantic's `RedisDsn` included). Query options:
            ``db``, ``ssl_cert_reqs``, ``ssl_ca_certs``, ``ssl_certfile``,
            ``ssl_keyfile``, ``ssl_check_hostname``, ``conn_timeout``,
            ``conn_retries``, ``conn_retry_delay``, ``max_connections``.
        password: Password for Redis (a `str` or pydantic `SecretStr`); it
            wins over a password in the URL.

    Returns:
        Settings for arq's `create_pool` and workers; their repr hides the
        password.

    Raises:
        ValueError: The URL is malformed; the message never contains the
            password.
    """
    text = str(url)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        msg = "Redis URL is malformed (check the host and port)"
        raise ValueError(msg) from None
    if parts.scheme not in _SCHEMES:
        shown = f"{parts.scheme}://" if parts.scheme else "no scheme"
        msg = f"Redis URL must start with redis://, rediss:// or unix://, not {shown}"
        raise ValueError(msg)
    if parts.scheme == "unix" and not parts.path:
        msg = "Redis URL unix:// needs a socket path, as in unix:///run/redis.sock"
        raise ValueError(msg)
    if parts.scheme != "unix" and port == 0:
        msg = "Redis URL port must be between 1 and 65535"
        raise ValueError(msg)
    query = parse_qs(parts.query, keep_blank_values=True)
    database_text = query.pop("db", [None])[-1]
    if database_text is None and parts.scheme != "unix":
        database_text = parts.path.lstrip("/") or None
    if database_text is not None and not database_text.isdigit():
        msg = f"Redis URL database must be a number, not {database_text!r}"
        raise ValueError(msg)
    options: dict[str, Any] = {}
    for name, values in query.items():
        parse = _QUERY_OPTIONS.get(name)
        if parse is None:
            msg = f"Redis URL has an unknown option {name!r}; known: db, " + ", ".join(
                sorted(_QUERY_OPTIONS)
            )
            raise ValueError(msg)
        options[name] = parse(name, values[-1])

    # arq parses the rest; it keeps user and password percent-encoded.
    settings = RedisSettings.from_dsn(parts._replace(query="").geturl())
    if isinstance(password, _SecretLike):
        secret: str | None = password.get_secret_value()
    else:
        secret = password
    return RedactedRedisSettings(
        **{
            **vars(settings),
            "database": int(database_text or 0),
            "username": unquote(parts.username) if parts.username else None,
            "password": secret
            if secret is not None
            else (unquote(parts.password) if parts.password else None),
            **options,
        }
    )


_WORKER_DEFAULTS: Final = {
    name: parameter.default
    for name, parameter in inspect.signature(Worker).parameters.items()
    if parameter.default is not inspect.Parameter.empty
}


def _arq_default(name: str) -> Any:
    """Arq's own default for a `Worker` parameter, so ours cannot drift."""
    return field(default=_WORKER_DEFAULTS[name])


@dataclass
class WorkerSettings:
    """Typed settings for an arq worker.

    The ``arq`` command line accepts an instance as its settings object
    (``arq myapp.worker.WorkerSettings``), as does `arq.worker.Worker`
    through ``create_worker``. Defaults are arq's own. The first fields keep
    safir.arq's order; the rest are keyword-only.
    """

    functions: Sequence[
        Function | WorkerCoroutine | Callable[..., Coroutine[Any, Any, Any]]
    ]
    """Coroutines (or `arq.worker.func` wrappers) the worker runs."""

    redis_settings: RedisSettings = field(default_factory=RedisSettings)
    """Redis connection settings."""

    job_completion_wait: int = _arq_default("job_completion_wait")
    """Seconds to let running jobs finish after a stop signal."""

    job_timeout: SecondsTimedelta = _arq_default("job_timeout")
    """Longest a job may run."""

    max_jobs: int = _arq_default("max_jobs")
    """Most jobs run at once."""

    allow_abort_jobs: bool = _arq_default("allow_abort_jobs")
    """Whether `abort_job` can cancel this worker's jobs."""

    queue_name: str = arq_default_queue_name
    """Queue to take jobs from."""

    on_startup: StartupShutdown | None = None
    """Coroutine run with the worker's ``ctx`` when it starts."""

    on_shutdown: StartupShutdown | None = None
    """Coroutine run with the worker's ``ctx`` when it stops."""

    cron_jobs: Sequence[CronJob] | None = None
    """Cron jobs to run."""

    _: KW_ONLY

    keep_result: SecondsTimedelta = _arq_default("keep_result")
    """How long results are kept."""

    keep_result_forever: bool = _arq_default("keep_result_forever")
    """Keep results forever (wins over ``keep_result``)."""

    poll_delay: SecondsTimedelta = _arq_default("poll_delay")
    """Seconds between two looks at the queue; lower is faster but busier."""

    max_tries: int = _arq_default("max_tries")
    """Most tries of a job that raises `arq.worker.Retry`."""

    retry_jobs: bool = _arq_default("retry_jobs")
    """Whether to retry jobs that raise `Retry` or are cancelled."""

    health_check_interval: SecondsTimedelta = _arq_default("health_check_interval")
    """Seconds between two health-check key updates."""

    on_job_start: StartupShutdown | None = None
    """Coroutine run before each job."""

    on_job_end: StartupShutdown | None = None
    """Coroutine run after each job, before its result is stored."""

    after_job_end: StartupShutdown | None = None
    """Coroutine run after each job's result is stored."""

    job_serializer: Serializer | None = None
    """Serializer for jobs and results; must match the clients'."""

    job_deserializer: Deserializer | None = None
    """Deserializer for jobs and results; must match the clients'."""

    expires_extra_ms: int = _arq_default("expires_extra_ms")
    """Default time after a job's start time at which it expires."""

    timezone: dt.timezone | None = None
    """Timezone for cron schedules (default: the system's)."""

    ctx: dict[Any, Any] | None = None
    """Extra state handed to every job in ``ctx``."""
