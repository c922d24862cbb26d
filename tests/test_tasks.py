"""`queue_core.task`: what the decorator makes, and how arq registers it."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq.connections import RedisSettings
from arq.worker import Function, create_worker, func

from queue_core import (
    JobMetadata,
    JobResult,
    JobStatus,
    Task,
    TaskOptions,
    WorkerSettings,
    task,
)
from tests.workers import multiply


@task
async def build_report(ctx: dict[Any, Any], month: str, pages: int = 1) -> str:
    """Build a month's report."""
    return f"{ctx.get('who', 'nobody')}: {month} in {pages} pages"


@task(
    name="reports.send",
    timeout=timedelta(minutes=2),
    keep_result=30,
    keep_result_forever=True,
    max_tries=3,
)
async def send_report(ctx: dict[Any, Any], address: str) -> bool:  # noqa: ARG001
    """Send a report."""
    return "@" in address


def test_a_bare_task_is_the_function_arq_would_make_of_it() -> None:
    plain = func(build_report.coroutine)

    assert isinstance(build_report, Function)
    assert isinstance(build_report, Task)
    assert dataclasses.astuple(build_report) == dataclasses.astuple(plain)
    assert build_report.name == "build_report"


def test_task_options_are_converted_as_arqs_func_converts_them() -> None:
    plain = func(
        send_report.coroutine,
        name="reports.send",
        timeout=timedelta(minutes=2),
        keep_result=30,
        keep_result_forever=True,
        max_tries=3,
    )

    assert dataclasses.astuple(send_report) == dataclasses.astuple(plain)
    assert (send_report.name, send_report.timeout_s, send_report.max_tries) == (
        "reports.send",
        120.0,
        3,
    )


def test_a_task_defined_in_a_function_is_named_by_its_qualname_as_arq_does() -> None:
    async def nested(ctx: dict[Any, Any]) -> None:
        pass

    assert task(nested).name == func(nested).name == nested.__qualname__
    assert "<locals>" in task(nested).name


async def test_a_task_is_still_callable_as_the_function() -> None:
    assert await build_report({"who": "ann"}, "2026-11", pages=2) == (
        "ann: 2026-11 in 2 pages"
    )
    assert await send_report({}, "ops@example.test") is True


def test_a_task_keeps_the_functions_name_docstring_and_signature() -> None:
    assert build_report.__name__ == "build_report"
    assert build_report.__doc__ == "Build a month's report."
    assert build_report.__module__ == __name__
    assert list(inspect.signature(build_report).parameters) == [
        "ctx",
        "month",
        "pages",
    ]


def test_arqs_func_passes_a_task_through_unchanged() -> None:
    assert func(build_report) is build_report
    assert func(send_report) is send_report


async def test_arqs_worker_registers_tasks_under_their_names_from_either_settings() -> (
    None
):
    class PlainSettings:
        functions: typing.ClassVar = [build_report, send_report]
        redis_settings = RedisSettings()

    ours = WorkerSettings(functions=[build_report, send_report])
    for settings in (ours, PlainSettings):
        worker = create_worker(settings, handle_signals=False)  # type: ignore[arg-type]
        # Our settings register traced copies (docs/telemetry.md): the same
        # tasks, with a coroutine that runs the task's in a span.
        registered = {
            name: dataclasses.replace(
                function,
                coroutine=getattr(
                    function.coroutine, "__wrapped__", function.coroutine
                ),
            )
            for name, function in worker.functions.items()
        }
        assert registered == {
            "build_report": build_report,
            "reports.send": send_report,
        }
    plain = create_worker(PlainSettings, handle_signals=False)  # type: ignore[arg-type]
    assert plain.functions["reports.send"] is send_report


def test_options_hold_the_task_and_every_option() -> None:
    options = multiply.options(job_id="m-1", defer_by=5, queue_name="q", job_try=2)

    assert isinstance(options, TaskOptions)
    assert options.task is multiply
    assert (options.job_id, options.defer_by, options.queue_name) == ("m-1", 5, "q")
    assert (options.defer_until, options.expires, options.job_try) == (None, None, 2)


def test_a_spec_carries_the_tasks_name_arguments_and_options() -> None:
    spec = multiply.options(job_id="m-1", expires=60).spec(2, b=3)

    assert (spec.task_name, spec.args, spec.kwargs) == ("multiply", (2,), {"b": 3})
    assert (spec.job_id, spec.expires, spec.defer_by) == ("m-1", 60, None)
    assert multiply.spec(1, 2).task_name == "multiply"


def test_decorating_something_that_is_not_a_coroutine_function_is_refused() -> None:
    def not_async(ctx: dict[Any, Any]) -> None:
        pass

    with pytest.raises(TypeError, match="is not a coroutine function"):
        task(not_async)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="'multiply' is a task already"):
        task(multiply)


def test_job_models_are_generic_yet_unchanged_at_runtime() -> None:
    fields = [field.name for field in dataclasses.fields(JobResult)]
    now = datetime.now(tz=UTC)
    result = JobResult[int](
        id="j",
        name="multiply",
        args=(6, 7),
        kwargs={},
        enqueue_time=now,
        status=JobStatus.complete,
        queue_name="q",
        start_time=now,
        finish_time=now,
        success=True,
        result=42,
    )

    assert fields[:8] == [field.name for field in dataclasses.fields(JobMetadata)]
    assert fields[7] == "progress"  # keyword-only: positional calls are unchanged
    assert fields[8:] == ["start_time", "finish_time", "success", "result"]
    assert isinstance(result, JobMetadata)
    assert typing.get_args(JobMetadata[int]) == (int,)
    assert typing.get_type_hints(Task)["name"] is str
