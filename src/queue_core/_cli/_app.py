"""The command group, its shared options, and how a command runs and fails."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.util
import itertools
import json
import logging
import signal
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Final, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import click
from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, Serializer
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import InvalidResponse, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from typing_extensions import override

from queue_core._config import build_arq_redis_settings
from queue_core._exceptions import (
    ArqJobError,
    ExitCode,
    JobNotFound,
    JobResultUnavailable,
)
from queue_core._redis import RedisArqQueue
from queue_core._serializers import (
    json_deserializer,
    json_serializer,
    msgpack_deserializer,
    msgpack_serializer,
)

URL_ENV: Final = "QUEUE_CORE_REDIS_URL"
PASSWORD_ENV: Final = "QUEUE_CORE_REDIS_PASSWORD"  # noqa: S105 - a variable's name
SERIALIZER_ENV: Final = "QUEUE_CORE_SERIALIZER"

_CONNECT: Final[dict[str, Any]] = {"conn_timeout": 1, "conn_retries": 0}
"""arq retries a failed connection 5 times, 1 s apart; a command line should
fail in a second or two instead, unless the URL's query asks otherwise."""

_SERIALIZERS: Final[dict[str, tuple[Serializer | None, Deserializer | None]]] = {
    "pickle": (None, None),
    "json": (json_serializer, json_deserializer),
    "msgpack": (msgpack_serializer, msgpack_deserializer),
}

_DB_OUT_OF_RANGE: Final = "DB index is out of range"
"""What Redis answers SELECT with a database it does not have."""

_SECRET_MASK: Final = "***"  # noqa: S105 - what replaces a password
_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T")


class _CliError(click.ClickException):
    """One line on stderr, and the exit status of its class."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class _Failure(_CliError):
    exit_code = ExitCode.FAILURE


class _Usage(_CliError):
    exit_code = ExitCode.USAGE


class _NotFound(_CliError):
    exit_code = ExitCode.JOB_NOT_FOUND


class _NoResult(_CliError):
    exit_code = ExitCode.RESULT_UNAVAILABLE


class _Unreachable(_CliError):
    exit_code = ExitCode.CONNECTION


def _echo_json_error(message: str, exit_code: int) -> None:
    """An error as one line of JSON on stderr, where text mode prints it too."""
    document = {"error": message, "exit_code": exit_code}
    click.echo(json.dumps(document, ensure_ascii=False), err=True)


def _with_hint(error: click.ClickException) -> str:
    """The message, and for a usage error the hint text mode prints with it."""
    message = error.format_message()
    ctx = error.ctx if isinstance(error, click.UsageError) else None
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        help_command = f"{ctx.command_path} {ctx.help_option_names[0]}"
        message = f"{message.rstrip('.')}; see '{help_command}'"
    return message


_JSON_ERRORS: Final = "queue_core.json_errors"
"""Key in the context's meta: whether errors are printed as JSON."""


def _json_requested(args: Sequence[str]) -> bool:
    """Whether ``--json`` is on the command line (before any ``--``).

    Read from the arguments, not the parsed option, so that an error found
    while parsing them, before ``--json`` is reached, is JSON too.
    """
    return "--json" in itertools.takewhile(lambda arg: arg != "--", args)


@contextlib.contextmanager
def _errors_as_json(enabled: bool) -> Iterator[None]:
    """Print the block's errors, and an interruption, as JSON."""
    if not enabled:
        yield
        return
    try:
        yield
    except click.ClickException as exc:
        code = exc.exit_code
        _echo_json_error(_with_hint(exc), code)
    except (click.Abort, KeyboardInterrupt):
        code = ExitCode.FAILURE
        _echo_json_error("interrupted by Ctrl-C or SIGTERM, after cleaning up", code)
    else:
        return
    # click exits with this status and prints nothing more.
    raise click.exceptions.Exit(code)


class _Group(click.Group):
    """The command group; with ``--json``, every error is JSON on stderr."""

    @override
    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        as_json = _json_requested(args)
        with _errors_as_json(as_json):
            ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta[_JSON_ERRORS] = as_json
        return ctx

    @override
    def invoke(self, ctx: click.Context) -> Any:
        with _errors_as_json(ctx.meta[_JSON_ERRORS]):
            return super().invoke(ctx)


@dataclasses.dataclass
class _Options:
    """Options shared by every command, gathered by `_remember`."""

    redis_url: str | None = None
    redis_password: str | None = None
    serializer: str = "pickle"
    queue_name: str | None = None
    as_json: bool = False
    given: set[str] = dataclasses.field(default_factory=set)
    """Options given on the command line, before or after the command."""

    @property
    def queue(self) -> str:
        return self.queue_name or arq_default_queue_name

    def secrets(self) -> list[str]:
        """Every form the password may take, to keep out of messages."""
        found = [self.redis_password or ""]
        with contextlib.suppress(ValueError):
            raw = urlsplit(self.redis_url or "").password or ""
            found += [raw, unquote(raw)]
        return [secret for secret in found if secret]

    def where(self) -> str:
        """The Redis URL with its password masked, for messages."""
        url = self.redis_url or ""
        try:
            parts = urlsplit(url)
        except ValueError:
            return "the given URL"
        if parts.password is None:
            return url
        host = parts.netloc.rpartition("@")[2]
        masked = f"{parts.username or ''}:{_SECRET_MASK}@{host}"
        return parts._replace(netloc=masked).geturl()


_JSON_HELP: Final = "Print one JSON document on stdout instead of a table."
_QUEUE_HELP: Final = f"Queue name (default: {arq_default_queue_name})."


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    # Options may come before the command (as defaults for it) or after it;
    # a default never overwrites what was given.
    # The command line wins over the environment, which wins over defaults.
    name = str(param.name)
    options = ctx.ensure_object(_Options)
    source = ctx.get_parameter_source(name)
    if source is click.core.ParameterSource.COMMANDLINE:
        options.given.add(name)
        setattr(options, name, value)
    elif source is click.core.ParameterSource.ENVIRONMENT and name not in options.given:
        setattr(options, name, value)
    return value


def _options() -> _Options:
    return click.get_current_context().ensure_object(_Options)


def _apply(command: _F, *decorators: Callable[[_F], _F]) -> _F:
    for decorate in reversed(decorators):
        command = decorate(command)
    return command


class _EnvvarForCommands(click.Option):
    """A group option whose help names the variable its commands read.

    The group itself never reads it: ``demo`` must not pick up
    ``$QUEUE_CORE_REDIS_URL``, and the other commands read it themselves.
    """

    @override
    def resolve_envvar_value(self, ctx: click.Context) -> str | None:
        return None


def _remembered(*declarations: str, **settings: Any) -> Callable[[_F], _F]:
    """An option shared by the commands, gathered by `_remember`."""
    envvar = settings.get("envvar")
    return click.option(
        *declarations,
        expose_value=False,
        callback=_remember,
        show_envvar=envvar is not None,
        **settings,
    )


def _redis_options(*, url_from_env: bool) -> Callable[[_F], _F]:
    url_help = "Redis URL: redis://[[user]:password@]host[:port][/db], rediss://…"
    if not url_from_env:
        url_help = "Use this Redis instead of an embedded redis-server."
    return lambda command: _apply(
        command,
        _remembered(
            "--redis-url",
            metavar="URL",
            envvar=URL_ENV if url_from_env else None,
            help=url_help,
        ),
        _remembered(
            "--redis-password",
            metavar="PASSWORD",
            envvar=PASSWORD_ENV,
            help="Redis password; wins over one in the URL.",
        ),
    )


def _json_option(command: _F) -> _F:
    """``--json``, for the commands that print a result."""
    return _remembered("--json", "as_json", is_flag=True, help=_JSON_HELP)(command)


def _queue_options(command: _F) -> _F:
    return _apply(
        command,
        _remembered("--queue", "queue_name", metavar="NAME", help=_QUEUE_HELP),
        _redis_options(url_from_env=True),
        _remembered(
            "--serializer",
            type=click.Choice(sorted(_SERIALIZERS)),
            default="pickle",
            show_default=True,
            envvar=SERIALIZER_ENV,
            help="Job serializer; must match the workers' and the apps'.",
        ),
    )


def _group_options(command: _F) -> _F:
    """The commands' shared options, accepted before the command too."""
    return _apply(
        command,
        _remembered(
            "--redis-url",
            metavar="URL",
            envvar=URL_ENV,
            cls=_EnvvarForCommands,
            help="Redis URL (demo reads only the option).",
        ),
        _remembered(
            "--redis-password",
            metavar="PASSWORD",
            envvar=PASSWORD_ENV,
            cls=_EnvvarForCommands,
            help="Redis password.",
        ),
        _json_option,
        _remembered("--queue", "queue_name", metavar="NAME", help=_QUEUE_HELP),
        _remembered(
            "--serializer",
            type=click.Choice(sorted(_SERIALIZERS)),
            envvar=SERIALIZER_ENV,
            cls=_EnvvarForCommands,
            help="Job serializer; must match the workers' and the apps'.",
        ),
    )


# Running a command: settings, errors, event loop


def _settings(options: _Options) -> RedisSettings:
    """Settings for the URL, failing fast unless the URL says otherwise."""
    if not options.redis_url:
        msg = (
            f"no Redis URL: pass --redis-url URL or set {URL_ENV}, "
            "as in redis://127.0.0.1:6379/0"
        )
        raise _Usage(msg)
    try:
        settings = build_arq_redis_settings(options.redis_url, options.redis_password)
        asked = parse_qs(urlsplit(options.redis_url).query)
    except ValueError as exc:
        message = _scrub(f"invalid Redis URL: {exc}", options.secrets())
        raise _Unreachable(message) from None
    changes = {name: value for name, value in _CONNECT.items() if name not in asked}
    return dataclasses.replace(settings, **changes)


def _serializer_pair(name: str) -> tuple[Serializer | None, Deserializer | None]:
    if name == "msgpack" and importlib.util.find_spec("msgpack") is None:
        msg = 'the msgpack serializer needs msgpack: pip install "queue-core[msgpack]"'
        raise _Unreachable(msg)
    return _SERIALIZERS[name]


def _scrub(message: str, secrets: Sequence[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, _SECRET_MASK)
    return message


def _failure(exc: Exception, options: _Options) -> _CliError:
    """The one-line error, and exit status, for an exception."""
    detail = str(exc) or type(exc).__name__
    kind: type[_CliError] = _Failure
    server_message = _server_failure(exc, detail, options)
    if server_message is not None:
        kind, message = _Unreachable, server_message
    elif isinstance(exc, JobNotFound):
        kind, message = _NotFound, f"no job {exc.job_id} in queue {options.queue}"
    elif isinstance(exc, JobResultUnavailable):
        kind, message = (
            _NoResult,
            (
                f"job {exc.job_id} has not finished, so it has no result; "
                "use --wait SECONDS to wait for it"
            ),
        )
    elif isinstance(exc, ArqJobError | ValueError | TypeError):
        message = detail
    else:
        message = f"{type(exc).__name__}: {detail}"
    return kind(_scrub(message, options.secrets()))


def _server_failure(exc: Exception, detail: str, options: _Options) -> str | None:
    """What is wrong with the server or the way to it, and what to do.

    `None` if ``exc`` is about something else.
    """
    if _not_a_sentinel(detail):
        # redis-py up to 8.1 raises the server's ResponseError; 8.2 wraps it
        # in MasterNotFoundError, a ConnectionError.
        return (
            f"{_server(options)} is not a Sentinel (it does not know the "
            "SENTINEL command): use redis:// for a plain server, "
            "redis+sentinel:// only for Sentinels"
        )
    if isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError):
        if not options.redis_url:
            return f"embedded redis-server: {detail}"
        message = f"cannot connect to Redis at {options.where()}: {detail}"
        tls_failed = isinstance(exc, RedisTimeoutError) or "SSL" in detail
        if urlsplit(options.redis_url).scheme.startswith("rediss") and tls_failed:
            message += (
                "; the TLS handshake failed or timed out: the server may not "
                "speak TLS, and redis:// is for a plain server"
            )
        return message
    if isinstance(exc, ResponseError | InvalidResponse):
        return _refusal(exc, detail, options)
    return None


def _refusal(
    exc: ResponseError | InvalidResponse, detail: str, options: _Options
) -> str | None:
    """A server that answered connecting, but not as a Redis that the URL names."""
    server = _server(options)
    if isinstance(exc, InvalidResponse):
        return (
            f"{server} answered, but not as Redis does: "
            f"is this port a Redis server? ({detail})"
        )
    if _DB_OUT_OF_RANGE in detail:
        return (
            f"{server} has no such database ({_DB_OUT_OF_RANGE}): pick one it "
            "has, 0 to 15, unless its databases setting says otherwise"
        )
    return None


def _server(options: _Options) -> str:
    """The server the options name, as the start of a sentence."""
    return f"the server at {options.where()}" if options.redis_url else "it"


def _not_a_sentinel(detail: str) -> bool:
    """Whether the server refused the SENTINEL command: it is a plain Redis."""
    lowered = detail.lower()
    return "unknown command" in lowered and "sentinel" in lowered


@contextlib.contextmanager
def _quiet_arq_logs() -> Iterator[None]:
    """Keep arq's and our worker and retry logs off stderr, where only errors go."""
    loggers = [logging.getLogger(name) for name in ("arq", "queue_core")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


async def _cancel_on_sigterm(main: Awaitable[_T]) -> _T:
    """Run ``main``, cancelling it (so it cleans up) on SIGTERM."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    handled = False
    if task is not None:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
            handled = True
    try:
        return await main
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGTERM)


def _execute(main: Callable[[], Awaitable[_T]]) -> _T:
    """Run a coroutine, turning every error into a one-line `_CliError`."""
    options = _options()
    try:
        with _quiet_arq_logs():
            return asyncio.run(_cancel_on_sigterm(main()))
    except click.ClickException:
        raise
    except asyncio.CancelledError:
        raise click.Abort from None
    except Exception as exc:  # noqa: BLE001 - every error becomes one line
        raise _failure(exc, options) from None


def _run(action: Callable[[RedisArqQueue], Awaitable[_T]]) -> _T:
    """Connect to the configured Redis, run ``action`` on the queue, close."""
    options = _options()
    settings = _settings(options)
    serializer, deserializer = _serializer_pair(options.serializer)

    async def main() -> _T:
        queue = await RedisArqQueue.initialize(
            settings,
            default_queue_name=options.queue,
            job_serializer=serializer,
            job_deserializer=deserializer,
        )
        async with queue:
            return await action(queue)

    return _execute(main)


# Commands


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="queue-core", prog_name="queue-core")
@_group_options
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Look at and operate arq queues, or run the demo.

    Every command but demo connects to the Redis at --redis-url (or
    $QUEUE_CORE_REDIS_URL). Exit status: 0 success, 1 other failure, 2 usage
    error, 3 job not found, 4 result not available, 5 Redis unreachable or
    misconfigured, 6 task not registered (enqueue --worker-settings). With
    --json, errors are JSON on stderr too.
    """
    _refuse_options_not_taken(ctx)


def _refuse_options_not_taken(ctx: click.Context) -> None:
    """A shared option given before a command that does not take it is a usage error.

    ``queue-core --json browse`` would otherwise accept ``--json`` and ignore it.
    """
    name = ctx.invoked_subcommand
    command = None if name is None else cli.get_command(ctx, name)
    if command is None:
        return
    taken = {param.name for param in command.params}
    group_options = {param.name: param for param in ctx.command.params}
    for given in sorted(_options().given - taken):
        option = group_options[given]
        shown = option.opts[0] if isinstance(option, click.Option) else given
        msg = f"{name} does not take {shown}; leave it out"
        raise click.UsageError(msg, ctx)
