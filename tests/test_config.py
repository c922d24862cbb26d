"""Redis settings from URLs, and worker settings arq accepts."""

from __future__ import annotations

import inspect
import typing

import pytest
from arq.connections import RedisSettings
from arq.worker import Worker, create_worker, get_kwargs
from pydantic import BaseModel, RedisDsn, SecretStr

import queue_core
from queue_core import WorkerSettings, build_arq_redis_settings
from tests import workers

SECRET = "s3cr3t-Sentinel-Value"


class _Config(BaseModel):
    url: RedisDsn
    password: SecretStr | None = None


def test_a_plain_url_gives_host_port_and_database() -> None:
    settings = build_arq_redis_settings("redis://cache.internal:6380/3")

    assert isinstance(settings, RedisSettings)
    assert (settings.host, settings.port, settings.database) == (
        "cache.internal",
        6380,
        3,
    )
    assert settings.ssl is False
    assert settings.password is None


def test_defaults_are_arqs() -> None:
    settings = build_arq_redis_settings("redis://localhost")

    assert (settings.host, settings.port, settings.database) == ("localhost", 6379, 0)


def test_rediss_turns_on_tls_and_query_options_pass_through() -> None:
    settings = build_arq_redis_settings(
        "rediss://cache:6390/1?ssl_cert_reqs=none&ssl_ca_certs=/etc/ca.pem"
        "&ssl_check_hostname=true&conn_timeout=3&max_connections=20"
    )

    assert settings.ssl is True
    assert settings.ssl_cert_reqs == "none"
    assert settings.ssl_ca_certs == "/etc/ca.pem"
    assert settings.ssl_check_hostname is True
    assert settings.conn_timeout == 3
    assert settings.max_connections == 20


def test_a_database_may_come_from_the_query() -> None:
    assert build_arq_redis_settings("redis://localhost?db=4").database == 4


def test_a_sentinel_url_lists_the_sentinels_and_names_the_master() -> None:
    settings = build_arq_redis_settings(
        f"redis+sentinel://:{SECRET}@10.0.0.1:26379,sentinel-b:26380,sentinel-c/primary/2"
    )

    assert settings.sentinel is True
    assert settings.host == [
        ("10.0.0.1", 26379),
        ("sentinel-b", 26380),
        ("sentinel-c", 26379),
    ]
    assert settings.sentinel_master == "primary"
    assert settings.database == 2
    assert settings.password == SECRET
    assert SECRET not in repr(settings)


def test_a_socket_timeout_bounds_every_command_unless_turned_off() -> None:
    assert build_arq_redis_settings("redis://cache").socket_timeout == 5.0
    off = build_arq_redis_settings("redis://cache?socket_timeout=none")
    custom = build_arq_redis_settings("redis://cache?socket_timeout=0.5")

    assert off.socket_timeout is None
    assert custom.socket_timeout == 0.5


def test_a_unix_socket_url_gives_the_socket_path() -> None:
    settings = build_arq_redis_settings("unix:///run/redis/redis.sock?db=2")

    assert settings.unix_socket_path == "/run/redis/redis.sock"
    assert settings.database == 2


def test_user_and_password_in_the_url_are_decoded() -> None:
    settings = build_arq_redis_settings("redis://app%40team:p%40ss%3Aword@cache:6379")

    assert settings.username == "app@team"
    assert settings.password == "p@ss:word"


def test_an_explicit_password_wins_over_the_urls() -> None:
    from_str = build_arq_redis_settings("redis://:inurl@cache", "explicit")
    from_secret = build_arq_redis_settings("redis://:inurl@cache", SecretStr("secret"))

    assert from_str.password == "explicit"
    assert from_secret.password == "secret"


def test_pydantic_urls_and_secrets_are_accepted_without_conversion() -> None:
    config = _Config(url="redis://cache:6381/2", password=SecretStr(SECRET))  # type: ignore[arg-type]

    settings = build_arq_redis_settings(config.url, config.password)

    assert (settings.host, settings.port, settings.database) == ("cache", 6381, 2)
    assert settings.password == SECRET


def test_the_settings_repr_never_shows_the_password() -> None:
    settings = build_arq_redis_settings(f"redis://:{SECRET}@cache")

    assert SECRET not in repr(settings)
    assert "password='**********'" in repr(settings)
    assert "host='cache'" in repr(settings)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"http://:{SECRET}@cache",
            "must start with redis://, rediss://, unix:// or redis\\+sentinel://, not http://",
        ),
        (
            "cache:6379",
            "needs a scheme: it must start with redis://.* as in redis://127.0.0.1:6379$",
        ),
        (f"redis://:{SECRET}@cache:notaport/0", "malformed"),
        (f"redis://:{SECRET}@cache:99999", "malformed"),
        (f"redis://:{SECRET}@cache/abc", "database must be a number, not 'abc'"),
        (f"redis://:{SECRET}@cache/0?timeout=3", "unknown option 'timeout'"),
        (
            f"redis://:{SECRET}@cache/0?ssl_cert_reqs=maybe",
            "ssl_cert_reqs must be one of",
        ),
        (
            f"redis://:{SECRET}@cache/0?conn_timeout=soon",
            "conn_timeout must be an integer",
        ),
        ("unix://", "needs a socket path"),
        (f"redis+sentinel://:{SECRET}@h1:notaport/m", "host:port pairs"),
        (f"redis+sentinel://:{SECRET}@h1:26379/m/0/extra", "path must be /master"),
        (f"redis://:{SECRET}@cache/0?socket_timeout=-1", "socket_timeout must be"),
    ],
)
def test_a_malformed_url_is_a_value_error_that_hides_the_password(
    url: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message) as error:
        build_arq_redis_settings(url)

    assert SECRET not in str(error.value)
    assert error.value.__cause__ is None or SECRET not in str(error.value.__cause__)


def test_worker_settings_defaults_are_arqs_own() -> None:
    settings = WorkerSettings(functions=workers.FUNCTIONS)
    defaults = inspect.signature(Worker).parameters

    for name in ("job_timeout", "max_jobs", "keep_result", "poll_delay", "max_tries"):
        assert getattr(settings, name) == defaults[name].default


async def test_arq_builds_a_worker_from_worker_settings() -> None:
    settings = WorkerSettings(
        workers.FUNCTIONS,
        build_arq_redis_settings("redis://cache:6390/2"),
        job_completion_wait=5,
        max_jobs=7,
        allow_abort_jobs=True,
        queue_name="custom",
        poll_delay=0.05,
    )

    # arq types settings as a dict or a class; its CLI reads an instance alike.
    worker = create_worker(settings, handle_signals=False)  # type: ignore[arg-type]

    assert set(worker.functions) == {f.__name__ for f in workers.FUNCTIONS}
    assert worker.queue_name == "custom"
    assert worker.max_jobs == 7
    assert worker.allow_abort_jobs is True
    assert worker.poll_delay_s == 0.05
    assert worker.redis_settings is not None
    assert worker.redis_settings.port == 6390
    known = set(inspect.signature(Worker).parameters)
    assert set(get_kwargs(settings)) <= known  # type: ignore[arg-type]


def test_every_public_annotation_resolves_at_runtime() -> None:
    for name in queue_core.__all__:
        obj = getattr(queue_core, name)
        if inspect.isclass(obj):
            typing.get_type_hints(obj)
            for member in vars(obj).values():
                if inspect.isfunction(member):
                    typing.get_type_hints(member)
        elif inspect.isfunction(obj):
            typing.get_type_hints(obj)
