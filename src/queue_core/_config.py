"""Configuration helpers: Redis settings from URLs, and worker settings."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field, fields
from typing import Any, Final, Protocol, runtime_checkable
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.cron import CronJob
from arq.jobs import Deserializer, Serializer
from arq.typing import SecondsTimedelta, StartupShutdown, WorkerCoroutine
from arq.worker import Function, Worker
from typing_extensions import override

from ._telemetry import instrument_functions

__all__ = [
    "RedactedRedisSettings",
    "WorkerSettings",
    "build_arq_redis_settings",
]

_SCHEMES: Final = ("redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel")

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


DEFAULT_SOCKET_TIMEOUT: Final = 5.0
"""Seconds a Redis command may take before it fails, unless configured."""


@dataclass(repr=False)
class RedactedRedisSettings(RedisSettings):
    """arq's `RedisSettings` with a socket timeout, whose repr hides the password.

    arq's workers take it as they take their own settings; `RedisArqQueue`
    also applies ``socket_timeout``, so no call can hang on a Redis that
    stopped answering.
    """

    socket_timeout: float | None = DEFAULT_SOCKET_TIMEOUT
    """Seconds a command may wait for Redis (`None`: forever)."""

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


def _parse_seconds(name: str, value: str) -> float | None:
    if value.lower() == "none":
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        msg = f"Redis URL option {name} must be positive seconds or none, not {value!r}"
        raise ValueError(msg)
    return seconds


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
    "socket_timeout": _parse_seconds,
}


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        choices = ", ".join(allowed)
        msg = f"Redis URL option {name} must be one of {choices}, not {value!r}"
        raise ValueError(msg)
    return value


def build_arq_redis_settings(
    url: object, password: str | _SecretLike | None = None
) -> RedactedRedisSettings:
    """Build arq's `RedisSettings` from a Redis URL.

    Args:
        url: ``redis://[[user]:password@]host[:port][/db]``, ``rediss://``
            for TLS, ``unix:///path/to/socket``, or Sentinel as
            ``redis+sentinel://[[user]:password@]host:port[,host:port…]/master[/db]``
            (``rediss+sentinel://`` with TLS); a `str` or any URL object
            (pydantic's `RedisDsn` included). Query options: ``db``,
            ``ssl_cert_reqs``, ``ssl_ca_certs``, ``ssl_certfile``,
            ``ssl_keyfile``, ``ssl_check_hostname``, ``conn_timeout``,
            ``conn_retries``, ``conn_retry_delay``, ``max_connections``,
            ``socket_timeout``.
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
    scheme, separator, _ = text.partition("://")
    if not separator:
        msg = (
            "Redis URL needs a scheme: it must start with redis://, rediss://, "
            "unix:// or redis+sentinel://, as in redis://127.0.0.1:6379"
        )
        raise ValueError(msg)
    if scheme not in _SCHEMES:
        msg = (
            "Redis URL must start with redis://, rediss://, unix:// or "
            f"redis+sentinel://, not {scheme}://"
        )
        raise ValueError(msg)
    if isinstance(password, _SecretLike):
        secret: str | None = password.get_secret_value()
    else:
        secret = password
    if scheme.endswith("+sentinel"):
        fields_ = _sentinel_fields(text)
    else:
        fields_ = _server_fields(text)
    if secret is not None:
        fields_["password"] = secret
    return RedactedRedisSettings(**fields_)


def _split(text: str) -> tuple[SplitResult, int | None]:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        msg = "Redis URL is malformed (check the host and port)"
        raise ValueError(msg) from None
    return parts, port


def _common_fields(parts: SplitResult, database_text: str | None) -> dict[str, Any]:
    """Credentials, database and query options, shared by every scheme."""
    query = parse_qs(parts.query, keep_blank_values=True)
    database_text = query.pop("db", [database_text])[-1]
    if database_text is not None and not database_text.isdigit():
        msg = f"Redis URL database must be a number, not {database_text!r}"
        raise ValueError(msg)
    options: dict[str, Any] = {}
    for name, values in query.items():
        parse = _QUERY_OPTIONS.get(name)
        if parse is None:
            known = ", ".join(["db", *sorted(_QUERY_OPTIONS)])
            msg = f"Redis URL has an unknown option {name!r}; known: {known}"
            raise ValueError(msg)
        options[name] = parse(name, values[-1])
    return {
        "database": int(database_text or 0),
        "username": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
        **options,
    }


def _server_fields(text: str) -> dict[str, Any]:
    parts, port = _split(text)
    if parts.scheme == "unix" and not parts.path:
        msg = "Redis URL unix:// needs a socket path, as in unix:///run/redis.sock"
        raise ValueError(msg)
    if parts.scheme != "unix" and port == 0:
        msg = "Redis URL port must be between 1 and 65535"
        raise ValueError(msg)
    path_database = None if parts.scheme == "unix" else parts.path.lstrip("/") or None
    common = _common_fields(parts, path_database)
    # arq parses host, port, TLS and socket path; credentials and options
    # are ours (arq keeps them percent-encoded and ignores the query).
    settings = RedisSettings.from_dsn(parts._replace(query="").geturl())
    return {**vars(settings), **common}


def _sentinel_fields(text: str) -> dict[str, Any]:
    scheme, _, rest = text.partition("://")
    netloc, slash, after = rest.partition("/")
    if "?" in netloc:
        netloc, _, query = netloc.partition("?")
        after = "?" + query
    userinfo, at, hosts_text = netloc.rpartition("@")
    sentinels: list[tuple[str, int]] = []
    for item in hosts_text.split(","):
        host, colon, port_text = item.rpartition(":")
        if not colon:
            host, port_text = item, "26379"
        if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:  # noqa: PLR2004
            msg = "Redis Sentinel URL needs host:port pairs separated by commas"
            raise ValueError(msg)
        sentinels.append((host.strip("[]"), int(port_text)))
    path, _, query = (slash + after).partition("?")
    segments = [s for s in path.split("/") if s]
    if len(segments) > 2:  # noqa: PLR2004
        msg = "Redis Sentinel URL path must be /master or /master/db"
        raise ValueError(msg)
    placeholder = f"redis://{userinfo}{at}sentinel?{query}"
    parts, _ = _split(placeholder)
    common = _common_fields(parts, segments[1] if len(segments) > 1 else None)
    return {
        **vars(RedisSettings()),
        "host": sentinels,
        "sentinel": True,
        "sentinel_master": unquote(segments[0]) if segments else "mymaster",
        "ssl": scheme.startswith("rediss"),
        **common,
    }


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

    telemetry: bool = True
    """Trace and measure each job with OpenTelemetry, if it is installed.

    The functions are then `arq.worker.Function` objects under the names arq
    would register, whose coroutines run the user's in a CONSUMER span.
    """

    def __post_init__(self) -> None:
        self.functions = instrument_functions(
            self.functions,
            enabled=self.telemetry,
            queue_name=self.queue_name,
            job_timeout=self.job_timeout,
            max_tries=self.max_tries,
            allow_abort_jobs=self.allow_abort_jobs,
        )
