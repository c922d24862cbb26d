"""Commands on one job or a queue's jobs: enqueue, status, result, abort, retry."""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Any, Final, NoReturn

import click
from arq.utils import import_string
from arq.worker import func, get_kwargs

from queue_core._cli._app import (
    _CliError,
    _Failure,
    _json_option,
    _NoResult,
    _options,
    _queue_options,
    _run,
    cli,
)
from queue_core._cli._output import (
    _clip,
    _echo_fields,
    _echo_json,
    _echo_table,
    _job_document,
    _job_fields,
    _print_job,
    _show,
    _when,
)
from queue_core._exceptions import ExitCode, JobResultUnavailable
from queue_core._models import JobMetadata, JobResult, JobStatus
from queue_core._queue import ArqQueue
from queue_core._redis import RedisArqQueue

_ENQUEUE_OPTIONS: Final = frozenset(
    name for name in inspect.signature(ArqQueue.enqueue).parameters if name[0] == "_"
)
"""Keyword names `ArqQueue.enqueue` keeps for itself, never passed to tasks."""
_UNFINISHED: Final = ("deferred", "queued", "in_progress")


WORKER_SETTINGS_ENV: Final = "QUEUE_CORE_WORKER_SETTINGS"


class _UnknownTask(_CliError):
    exit_code = ExitCode.UNKNOWN_TASK


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


def _registered_names(path: str) -> list[str]:
    """The task names arq's worker registers from these settings.

    The settings are loaded as ``arq`` loads them (``module.Name``, or
    ``module:Name``, from the current directory too), and read as arq's
    `Worker` reads them: functions under `arq.worker.func`'s names, and
    cron jobs under theirs.
    """
    cwd = str(Path.cwd())
    if cwd not in sys.path:
        sys.path.append(cwd)  # as arq's command line does
    try:
        settings = import_string(path.replace(":", "."))
        kwargs: dict[str, Any] = dict(get_kwargs(settings))
        names = [func(function).name for function in kwargs.get("functions", ())]
    except Exception as exc:  # noqa: BLE001 - any failure to load them is one line
        msg = f"cannot load {path}: {type(exc).__name__}: {exc}"
        raise click.BadParameter(msg, param_hint="--worker-settings") from None
    names += [job.name for job in kwargs.get("cron_jobs") or ()]
    return names


def _check_registered(task: str, settings_path: str) -> None:
    names = _registered_names(settings_path)
    if task not in names:
        registered = ", ".join(sorted(names)) or "nothing"
        msg = (
            f"task {task!r} is not registered by {settings_path}, "
            f"so its workers would fail the job; registered: {registered}"
        )
        raise _UnknownTask(msg)


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
@click.option(
    "--worker-settings",
    "settings_path",
    metavar="MODULE:NAME",
    envvar=WORKER_SETTINGS_ENV,
    show_envvar=True,
    help=(
        "The workers' settings, as arq's command line takes them; refuse "
        "(exit 6) a TASK they do not register."
    ),
)
@_queue_options
@_json_option
def enqueue(
    *,
    task: str,
    args: tuple[str, ...],
    kwargs_text: str | None,
    job_id: str | None,
    defer_by: float | None,
    settings_path: str | None,
) -> None:
    """Add a job that runs TASK with ARGS.

    Each ARG that parses as JSON is passed as that value (1, 2.5, true, null,
    "text", [1, 2], {"a": 1}); any other ARG is passed as a string. Put -- before
    ARGS that start with a dash.
    """
    if settings_path:
        _check_registered(task, settings_path)
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
@_json_option
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
@_json_option
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
@_json_option
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
@click.argument("job_id")
@_queue_options
@_json_option
def retry(job_id: str) -> None:
    """Run a finished job again, as a new job.

    The new job has the finished job's task, arguments and keyword arguments,
    in the same queue, due now; the finished job's result stays readable.
    Exits 3 if there is no such job, 4 if it has not finished.
    """

    async def again(queue: RedisArqQueue) -> JobMetadata:
        try:
            return await queue.retry_job(job_id)
        except JobResultUnavailable:
            msg = f"job {job_id} has not finished, so there is nothing to retry"
            raise _NoResult(msg) from None

    job = _run(again)
    if _options().as_json:
        _echo_json({**_job_document(job), "retry_of": job_id})
    else:
        _echo_fields([*_job_fields(job), ("Retry of", job_id)])


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
@_json_option
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
