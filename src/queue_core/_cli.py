"""The ``queue-core`` command line: look at and operate arq queues, or run the demo."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import importlib.util
import inspect
import json
import logging
import math
import signal
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, NoReturn, Self, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import click
from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.constants import (
    health_check_key_suffix,
    in_progress_key_prefix,
    result_key_prefix,
)
from arq.jobs import Deserializer, Serializer
from arq.utils import timestamp_ms
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ._config import build_arq_redis_settings
from ._demo import DEFER_SECONDS, DemoReport, run_demo
from ._exceptions import ArqJobError, JobNotFound, JobResultUnavailable
from ._models import JobMetadata, JobResult, JobStatus
from ._queue import ArqQueue
from ._redis import RedisArqQueue
from ._serializers import (
    RemoteJobError,
    json_deserializer,
    json_serializer,
    msgpack_deserializer,
    msgpack_serializer,
)

__all__ = ["ExitCode", "cli", "main"]

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

_ENQUEUE_OPTIONS: Final = frozenset(
    name for name in inspect.signature(ArqQueue.enqueue).parameters if name[0] == "_"
)
"""Keyword names `ArqQueue.enqueue` keeps for itself, never passed to tasks."""

_UNFINISHED: Final = ("deferred", "queued", "in_progress")
_CELL_WIDTH: Final = 40
_SCAN_COUNT: Final = 1000
_PROGRESS_LINE_INTERVAL: Final = 1.0
_SECRET_MASK: Final = "***"  # noqa: S105 - what replaces a password
_F = TypeVar("_F", bound=Callable[..., Any])
_T = TypeVar("_T")


class ExitCode(enum.IntEnum):
    """The command's exit statuses, as docs/cli.md lists them."""

    OK = 0
    """The command did what it was asked."""

    FAILURE = 1
    """Anything else went wrong; the message says what."""

    USAGE = 2
    """The command line is wrong (click's own status)."""

    JOB_NOT_FOUND = 3
    """No job with this id is in the queue."""

    RESULT_UNAVAILABLE = 4
    """The job has not finished, or did not within ``--wait``."""

    CONNECTION = 5
    """Redis is unreachable or misconfigured (URL, password, serializer)."""


class _CliError(click.ClickException):
    """One line on stderr, and the exit status of its class."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


class _Failure(_CliError):
    exit_code = ExitCode.FAILURE


class _NotFound(_CliError):
    exit_code = ExitCode.JOB_NOT_FOUND


class _NoResult(_CliError):
    exit_code = ExitCode.RESULT_UNAVAILABLE


class _Unreachable(_CliError):
    exit_code = ExitCode.CONNECTION


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
        _remembered("--json", "as_json", is_flag=True, help=_JSON_HELP),
    )


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
        _remembered("--redis-url", metavar="URL", help="Redis URL."),
        _remembered("--redis-password", metavar="PASSWORD", help="Redis password."),
        _remembered("--json", "as_json", is_flag=True, help=_JSON_HELP),
        _remembered("--queue", "queue_name", metavar="NAME", help=_QUEUE_HELP),
        _remembered(
            "--serializer",
            type=click.Choice(sorted(_SERIALIZERS)),
            help="Job serializer; must match the workers' and the apps'.",
        ),
    )


# Running a command: settings, errors, event loop


def _settings(options: _Options) -> RedisSettings:
    """Settings for the URL, failing fast unless the URL says otherwise."""
    if not options.redis_url:
        msg = f"no Redis URL: pass --redis-url or set {URL_ENV}"
        raise _Unreachable(msg)
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
    if isinstance(exc, JobNotFound):
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
    elif isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError):
        kind = _Unreachable
        if options.redis_url:
            message = f"cannot connect to Redis at {options.where()}: {detail}"
        else:
            message = f"embedded redis-server: {detail}"
    else:
        message = f"{type(exc).__name__}: {detail}"
    return kind(_scrub(message, options.secrets()))


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


# Output


def _type_name(exc: BaseException) -> str:
    if isinstance(exc, RemoteJobError):
        return exc.type_name
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def _error_text(exc: BaseException) -> str:
    message = exc.message if isinstance(exc, RemoteJobError) else str(exc)
    return f"{_type_name(exc)}: {message}" if message else _type_name(exc)


def _jsonable(value: Any) -> Any:
    """``value`` as JSON can carry it; what JSON cannot becomes its repr."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bytes):
        value = value.decode(errors="backslashreplace")
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseException):
        message = value.message if isinstance(value, RemoteJobError) else str(value)
        return {"type": _type_name(value), "message": message}
    return repr(value)


def _job_document(job: JobMetadata) -> dict[str, Any]:
    return {
        field.name: _jsonable(getattr(job, field.name))
        for field in dataclasses.fields(job)
    }


def _echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _show(value: Any) -> str:
    """A value for a table cell: JSON, on one line."""
    return json.dumps(_jsonable(value), ensure_ascii=False)


def _when(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="milliseconds")


def _clip(text: str) -> str:
    return text if len(text) <= _CELL_WIDTH else text[: _CELL_WIDTH - 1] + "…"


def _echo_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: int = -1
) -> None:
    """Aligned columns; column ``right`` (counts) is right-aligned."""
    widths = [
        max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)
    ]
    for row in (header, *rows):
        cells = [
            cell.rjust(width) if index == right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        click.echo("  ".join(cells).rstrip())


def _echo_fields(fields: Sequence[tuple[str, str]]) -> None:
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        click.echo(f"{name.ljust(width)}  {' '.join(value.splitlines())}")


def _job_fields(job: JobMetadata) -> list[tuple[str, str]]:
    fields = [
        ("Job id", job.id),
        ("Task", job.name),
        ("Status", job.status.value),
        ("Queue", job.queue_name),
        ("Args", _show(job.args)),
        ("Kwargs", _show(job.kwargs)),
        ("Enqueued", _when(job.enqueue_time)),
    ]
    if isinstance(job, JobResult):
        fields += [
            ("Started", _when(job.start_time)),
            ("Finished", _when(job.finish_time)),
            ("Success", "yes" if job.success else "no"),
            ("Result", _show(job.result))
            if job.success
            else ("Error", _error_text(job.result)),
        ]
    return fields


def _print_job(job: JobMetadata) -> None:
    if _options().as_json:
        _echo_json(_job_document(job))
    else:
        _echo_fields(_job_fields(job))


# Commands


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="queue-core", prog_name="queue-core")
@_group_options
def cli() -> None:
    """Look at and operate arq queues, or run the demo.

    Every command but demo connects to the Redis at --redis-url (or
    $QUEUE_CORE_REDIS_URL). Exit status: 0 success, 1 other failure, 2 usage
    error, 3 job not found, 4 result not available, 5 Redis unreachable or
    misconfigured.
    """


def _parse_arg(text: str) -> Any:
    """A JSON value if ``text`` is one (NaN and Infinity are not), else text."""

    def refuse(constant: str) -> NoReturn:
        raise ValueError(constant)

    try:
        return json.loads(text, parse_constant=refuse)
    except ValueError:
        return text


def _parse_kwargs(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        kwargs = json.loads(text)
    except ValueError as exc:
        msg = f"not valid JSON ({exc})"
        raise click.BadParameter(msg, param_hint="--kwargs") from None
    if not isinstance(kwargs, dict):
        msg = 'must be a JSON object, as in \'{"name": "value"}\''
        raise click.BadParameter(msg, param_hint="--kwargs")
    reserved = sorted(_ENQUEUE_OPTIONS.intersection(kwargs))
    if reserved:
        names = ", ".join(reserved)
        msg = f"{names}: enqueue's own options cannot be task arguments"
        raise click.BadParameter(msg, param_hint="--kwargs")
    return kwargs


@cli.command()
@click.argument("task")
@click.argument("args", nargs=-1)
@click.option(
    "--kwargs",
    "kwargs_text",
    metavar="JSON",
    help="Keyword arguments for the task, as a JSON object.",
)
@click.option("--job-id", metavar="ID", help="A fixed job id (refused if it exists).")
@click.option(
    "--defer-by",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Do not run the job for this long.",
)
@_queue_options
def enqueue(
    task: str,
    args: tuple[str, ...],
    kwargs_text: str | None,
    job_id: str | None,
    defer_by: float | None,
) -> None:
    """Add a job that runs TASK with ARGS.

    Each ARG that parses as JSON is passed as that value (1, 2.5, true, null,
    "text", [1, 2], {"a": 1}); any other ARG is passed as a string. Put -- before
    ARGS that start with a dash.
    """
    task_args = tuple(_parse_arg(arg) for arg in args)
    task_kwargs = _parse_kwargs(kwargs_text)
    job = _run(
        lambda queue: queue.enqueue(
            task, *task_args, _job_id=job_id, _defer_by=defer_by, **task_kwargs
        )
    )
    _print_job(job)


@cli.command()
@click.argument("job_id")
@_queue_options
def status(job_id: str) -> None:
    """Show a job's status and metadata."""
    _print_job(_run(lambda queue: queue.get_job_metadata(job_id)))


@cli.command()
@click.argument("job_id")
@click.option(
    "--wait",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Wait up to this long for the job to finish.",
)
@_queue_options
def result(job_id: str, wait: float | None) -> None:
    """Show a finished job's result.

    A job that raised is shown with success false (and its error) and exits
    0: the result was read. Exits 4 if the job has not finished.
    """

    async def fetch(queue: RedisArqQueue) -> JobResult:
        if wait is None:
            return await queue.get_job_result(job_id)
        try:
            return await queue.wait_for_result(job_id, timeout=wait)
        except TimeoutError:
            msg = f"job {job_id} did not finish within {wait:g} s"
            raise _NoResult(msg) from None

    _print_job(_run(fetch))


@cli.command()
@click.argument("job_id")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="How long to wait for the worker to abort the job.",
)
@_queue_options
def abort(job_id: str, timeout: float) -> None:
    """Abort a queued, deferred or running job.

    The job's worker must run with allow_abort_jobs=True. Exits 0 once the job
    ended aborted, 1 if it finished anyway or did not stop in time.
    """

    async def cancel(queue: RedisArqQueue) -> JobMetadata:
        job = await queue.get_job_metadata(job_id)
        if job.status is JobStatus.complete:
            msg = f"job {job_id} already finished; there is nothing to abort"
            raise _Failure(msg)
        try:
            aborted = await queue.abort_job(job_id, timeout=timeout)
        except TimeoutError:
            msg = (
                f"asked to abort job {job_id}, but it had not stopped after "
                f"{timeout:g} s; is a worker running with allow_abort_jobs=True?"
            )
            raise _Failure(msg) from None
        if not aborted:
            msg = f"job {job_id} finished before it could be aborted"
            raise _Failure(msg)
        return job

    job = _run(cancel)
    if _options().as_json:
        _echo_json({"id": job.id, "queue_name": job.queue_name, "aborted": True})
    else:
        click.echo(f"Aborted job {job.id} ({job.name}) in queue {job.queue_name}.")


@cli.command()
@click.option(
    "--status",
    "status_name",
    type=click.Choice(_UNFINISHED),
    help="Only jobs with this status.",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    metavar="N",
    help="Show at most N jobs (0: all).",
)
@_queue_options
def jobs(status_name: str | None, limit: int) -> None:
    """List a queue's unfinished jobs, in the order a worker takes them."""
    wanted = None if status_name is None else JobStatus(status_name)

    async def listing(queue: RedisArqQueue) -> tuple[int, list[JobMetadata]]:
        depth = await queue.queue_depth()
        if wanted is None:
            return depth, await queue.list_jobs(limit=limit or None)
        # list_jobs limits before filtering; the limit here counts shown jobs.
        found = await queue.list_jobs(status=wanted)
        return depth, found[:limit] if limit else found

    depth, found = _run(listing)
    options = _options()
    if options.as_json:
        _echo_json(
            {
                "queue_name": options.queue,
                "depth": depth,
                "jobs": [_job_document(job) for job in found],
            }
        )
        return
    if not found:
        kind = "unfinished" if status_name is None else status_name.replace("_", " ")
        click.echo(f"No {kind} jobs in queue {options.queue}.")
        return
    _echo_table(
        ("ID", "TASK", "STATUS", "ENQUEUED", "ARGS", "KWARGS"),
        [
            (
                job.id,
                job.name,
                job.status.value,
                _when(job.enqueue_time),
                _clip(_show(job.args)),
                _clip(_show(job.kwargs)),
            )
            for job in found
        ],
    )
    click.echo(f"{len(found)} shown of {depth} unfinished in queue {options.queue}.")


async def _queue_stats(queue: RedisArqQueue) -> dict[str, Any]:
    """Counts for one queue, without reading any job's payload."""
    name = queue.default_queue_name
    pool = queue.pool
    now = timestamp_ms()
    async with pool.pipeline(transaction=True) as pipe:
        pipe.zcard(name)
        pipe.zcount(name, f"({now}", "+inf")
        pipe.get(name + health_check_key_suffix)
        depth, deferred, health = await pipe.execute()
    running = {
        key[len(in_progress_key_prefix) :]
        async for key in pool.scan_iter(
            match=in_progress_key_prefix + "*", count=_SCAN_COUNT
        )
    }
    in_progress = 0
    if running:
        async with pool.pipeline(transaction=False) as pipe:
            for job_id in running:
                pipe.zscore(name, job_id)
            scores = await pipe.execute()
        in_progress = sum(score is not None for score in scores)
    kept = 0
    async for _ in pool.scan_iter(match=result_key_prefix + "*", count=_SCAN_COUNT):
        kept += 1
    return {
        "queue_name": name,
        "depth": depth,
        "queued": max(0, depth - deferred - in_progress),
        "deferred": deferred,
        "in_progress": in_progress,
        "results_kept": kept,
        "worker_health_check": None if health is None else _jsonable(health),
    }


@cli.command()
@_queue_options
def stats() -> None:
    """Count a queue's jobs by status, and the results kept in Redis.

    Results are counted over the whole database (arq keys them by job id
    alone) with SCAN, which may count a key twice while Redis resizes.
    """
    counts = _run(_queue_stats)
    if _options().as_json:
        _echo_json(counts)
        return
    _echo_fields(
        [
            ("Queue", counts["queue_name"]),
            ("Depth", str(counts["depth"])),
            ("Queued", str(counts["queued"])),
            ("Deferred", str(counts["deferred"])),
            ("In progress", str(counts["in_progress"])),
            ("Results kept", f"{counts['results_kept']} (all queues)"),
            ("Worker health", counts["worker_health_check"] or "none recorded"),
        ]
    )


class _Progress:
    """The demo's progress on stderr: a bar on a terminal, else a line a second."""

    def __init__(self, total: int) -> None:
        self._stream = sys.stderr
        self._bar = (
            click.progressbar(
                length=total, label="Running jobs", show_pos=True, file=self._stream
            )
            if self._stream.isatty()
            else None
        )
        self._done = 0
        self._printed = -1
        self._printed_at = 0.0

    def __enter__(self) -> Self:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc_value, traceback)

    def update(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(done - self._done)
        else:
            now = time.monotonic()
            due = now - self._printed_at >= _PROGRESS_LINE_INTERVAL
            if done != self._printed and (done == total or due):
                click.echo(f"{done}/{total} jobs finished", file=self._stream)
                self._printed, self._printed_at = done, now
        self._done = done


def _demo_document(report: DemoReport, options: _Options) -> dict[str, Any]:
    return {
        "jobs": report.jobs,
        "succeeded": report.succeeded,
        "failed": report.failed,
        "unfinished": report.unfinished,
        "deferred": report.deferred,
        "failing_on_purpose": report.failing,
        "enqueue_seconds": round(report.enqueue_seconds, 4),
        "elapsed_seconds": round(report.elapsed_seconds, 4),
        "throughput_jobs_per_second": round(report.throughput, 1),
        "redis": {
            "embedded": options.redis_url is None,
            "url": None if options.redis_url is None else options.where(),
            "version": report.redis_version,
            "pid": report.server_pid,
            "directory": report.server_directory,
        },
        "sample_result": None
        if report.sample_result is None
        else _job_document(report.sample_result),
        "sample_failure": None
        if report.sample_failure is None
        else _job_document(report.sample_failure),
    }


def _call_text(job: JobResult) -> str:
    arguments = ", ".join(_show(arg) for arg in job.args)
    outcome = _show(job.result) if job.success else _error_text(job.result)
    return f"{job.name}({arguments}) -> {outcome}"


def _print_demo(report: DemoReport, options: _Options) -> None:
    where = (
        f"an embedded redis-server {report.redis_version} (now stopped)"
        if options.redis_url is None
        else f"Redis {report.redis_version} at {options.where()}"
    )
    click.echo(f"{report.jobs} jobs on {where}, one in-process arq worker")
    click.echo()
    _echo_table(
        ("Outcome", "Jobs"),
        [
            ("succeeded", str(report.succeeded)),
            ("failed (on purpose)", str(report.failed)),
            ("not finished", str(report.unfinished)),
            ("total", str(report.jobs)),
        ],
        right=1,
    )
    click.echo()
    immediate = report.jobs - report.deferred
    fields = [
        ("Enqueued in", f"{report.enqueue_seconds:.3f} s (one enqueue_many call)"),
        (
            "Elapsed",
            (
                f"{report.elapsed_seconds:.2f} s (enqueue to last result; "
                f"{report.deferred} jobs deferred by {DEFER_SECONDS:g} s)"
            ),
        ),
        (
            "Throughput",
            f"{report.throughput:,.0f} jobs/s (the {immediate} jobs not deferred)",
        ),
    ]
    if report.sample_result is not None:
        fields.append(("Sample result", _call_text(report.sample_result)))
    if report.sample_failure is not None:
        fields.append(("Sample failure", _call_text(report.sample_failure)))
    _echo_fields(fields)


@cli.command()
@click.option(
    "-n",
    "--jobs",
    "count",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="How many jobs to run.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Stop waiting for the jobs after this long (exit 1).",
)
@_redis_options(url_from_env=False)
def demo(count: int, timeout: float) -> None:
    """Run N example jobs through a real arq worker and summarize them.

    Without --redis-url, a private redis-server is started and stopped again
    (it needs the embedded extra, or redis-server on PATH). With it, the jobs
    go to a fresh queue on that Redis and their keys are deleted afterwards.
    $QUEUE_CORE_REDIS_URL is not read: the demo never touches a Redis you did
    not name. Most jobs compute a checksum; a few fail on purpose and a few
    are deferred by a second.
    """
    options = _options()
    settings = None if options.redis_url is None else _settings(options)
    with _Progress(count) as progress:
        report = _execute(
            lambda: run_demo(
                count,
                redis_settings=settings,
                on_progress=progress.update,
                timeout=timeout,
            )
        )
    if options.as_json:
        _echo_json(_demo_document(report, options))
    else:
        _print_demo(report, options)
    if report.unfinished:
        msg = (
            f"{report.unfinished} of {report.jobs} jobs did not finish "
            f"within {timeout:g} s"
        )
        raise _Failure(msg)


def main() -> None:
    """Run the command line (the ``queue-core`` console script)."""
    cli(prog_name="queue-core")
