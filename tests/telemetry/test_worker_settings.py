"""Worker instrumentation keeps what the user set, under the names arq registers."""

from __future__ import annotations

import dataclasses
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Function, func, get_kwargs
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from queue_core import RedisArqQueue, Task, WorkerSettings, instrument_worker, task
from queue_core._embedded import in_process_worker
from tests import workers
from tests.telemetry.expected import assert_child, one, until_idle
from tests.telemetry.sdk import finished_spans


def registered(settings: Any) -> dict[str, Function]:
    """What arq's worker registers from the settings, by name (as its
    ``Worker.__init__`` does, without making an event loop)."""
    listed: list[Any] = get_kwargs(settings)["functions"]  # type: ignore[assignment]
    return {f.name: f for f in map(func, listed)}


def test_instrumented_functions_keep_arqs_names_options_and_classes() -> None:
    typed = task(name="custom_name", timeout=7, keep_result=3, max_tries=2)(workers.add)
    settings = WorkerSettings(
        functions=[workers.echo, func(workers.sleep, name="nap", timeout=1.5), typed],
        on_job_start=workers.on_job_start,
        after_job_end=workers.after_job_end,
    )
    functions = registered(settings)
    assert sorted(functions) == ["custom_name", "echo", "nap"]
    assert functions["nap"].timeout_s == 1.5
    assert isinstance(functions["custom_name"], Task)
    assert dataclasses.astuple(functions["custom_name"])[2:] == (7, 3, None, 2)
    # The task itself still calls the user's coroutine.
    assert typed.coroutine is workers.add
    assert functions["echo"].coroutine.__wrapped__ is workers.echo  # type: ignore[attr-defined]
    assert functions["echo"].coroutine is not workers.echo
    assert settings.on_job_start is workers.on_job_start
    assert settings.after_job_end is workers.after_job_end


def test_telemetry_false_gives_arq_the_users_own_coroutines() -> None:
    settings = WorkerSettings(functions=[workers.echo], telemetry=False)
    assert settings.functions == [workers.echo]
    again = dataclasses.replace(
        WorkerSettings(functions=[workers.echo]), telemetry=False
    )
    assert registered(again)["echo"].coroutine is workers.echo


def test_instrumenting_twice_wraps_the_users_coroutine_once() -> None:
    settings = WorkerSettings(functions=[workers.echo])
    moved = dataclasses.replace(settings, queue_name="elsewhere")
    coroutine = registered(moved)["echo"].coroutine
    assert coroutine.__wrapped__ is workers.echo  # type: ignore[attr-defined]


class PlainSettings:
    """arq's own settings class, instrumented by one line."""

    functions = (workers.add,)
    queue_name = "telemetry:plain"
    poll_delay = 0.02


instrument_worker(PlainSettings)


def test_instrument_worker_takes_arqs_dict_form_too() -> None:
    settings: dict[str, Any] = instrument_worker({"functions": [workers.add]})
    (function,) = settings["functions"]
    assert function.name == "add"
    assert function.coroutine.__wrapped__ is workers.add


async def test_arqs_plain_settings_class_traces_after_instrument_worker(
    redis_settings: RedisSettings, span_exporter: InMemorySpanExporter
) -> None:
    async with await RedisArqQueue.initialize(
        redis_settings, default_queue_name=PlainSettings.queue_name
    ) as queue:
        with trace.get_tracer("tests").start_as_current_span("request"):
            job = await queue.enqueue("add", 1, 2)
        async with in_process_worker(PlainSettings, redis_settings) as worker:
            await queue.wait_for_result(job.id, timeout=20, poll_interval=0.02)
            await until_idle(worker)
    spans = finished_spans(span_exporter)
    consumer = one(spans, "process telemetry:plain", "CONSUMER")
    assert consumer["attributes"]["arq.job.function"] == "add"
    assert_child(consumer, one(spans, "send telemetry:plain", "PRODUCER"))
