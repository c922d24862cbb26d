"""The demo command: many jobs through an embedded Redis and a real worker."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, Final, Self

import click

from queue_core._cli._app import (
    _execute,
    _Failure,
    _json_option,
    _Options,
    _options,
    _redis_options,
    _settings,
    cli,
)
from queue_core._cli._browse_command import check_browser, port_option, serve_browser
from queue_core._cli._output import (
    _echo_fields,
    _echo_json,
    _echo_table,
    _error_text,
    _job_document,
    _show,
)
from queue_core._demo import DEFER_SECONDS, DemoReport, run_demo
from queue_core._models import JobResult

_PROGRESS_LINE_INTERVAL: Final = 1.0


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
        "worker": report.worker,
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
        f"an embedded server, {report.redis_version} (now stopped)"
        if options.redis_url is None
        else f"{report.redis_version} at {options.where()}"
    )
    click.echo(f"{report.jobs} jobs on {where}, one in-process {report.worker} worker")
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
@click.option(
    "--browse",
    is_flag=True,
    help=(
        "Then serve the job browser (aborting and retrying allowed), with "
        "Redis and the worker kept running and new jobs coming, until Ctrl-C."
    ),
)
@click.option(
    "--arq-worker",
    is_flag=True,
    help="Run the jobs on arq's own worker instead of queue-core's, to compare.",
)
@port_option
@_redis_options(url_from_env=False)
@_json_option
def demo(count: int, timeout: float, browse: bool, arq_worker: bool, port: int) -> None:
    """Run N example jobs through a real worker and summarize them.

    The worker is queue-core's (``queue-core worker``), in this process; with
    --arq-worker, arq's own.

    Without --redis-url, a private redis-server is started and stopped again
    (it needs the embedded extra, or redis-server on PATH). With it, the jobs
    go to a fresh queue on that Redis and their keys are deleted afterwards.
    $QUEUE_CORE_REDIS_URL is not read: the demo never touches a Redis you did
    not name. Most jobs compute a checksum; a few fail on purpose and a few
    are deferred by a second. With --browse, the job browser is served
    afterwards on 127.0.0.1 while a few jobs a second keep coming.
    """
    if browse:
        check_browser()
    options = _options()
    settings = None if options.redis_url is None else _settings(options)
    with _Progress(count) as progress:
        report = _execute(
            lambda: run_demo(
                count,
                redis_settings=settings,
                on_progress=progress.update,
                timeout=timeout,
                arq_worker=arq_worker,
                then=(
                    (
                        lambda queue: serve_browser(
                            queue, port=port, allow_abort=True, allow_retry=True
                        )
                    )
                    if browse
                    else None
                ),
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
