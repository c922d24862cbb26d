"""The telemetry page's examples do what the page says."""

from __future__ import annotations

import json
import re

import pytest
from arq.connections import RedisSettings
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from queue_core import RedisArqQueue
from queue_core._embedded import in_process_worker
from tests.conftest import load_example, run_python
from tests.telemetry.expected import assert_child, one, until_idle
from tests.telemetry.sdk import finished_spans


def console_spans(output: str) -> list[dict[str, object]]:
    """The JSON objects ConsoleSpanExporter printed, one after another."""
    decoder = json.JSONDecoder()
    spans: list[dict[str, object]] = []
    for start in (m.start() for m in re.finditer(r"^\{", output, re.MULTILINE)):
        span, _ = decoder.raw_decode(output, start)
        spans.append(span)
    return spans


@pytest.mark.slow
def test_tracing_example_prints_the_request_enqueue_and_job_run_as_one_trace() -> None:
    done = run_python("docs/examples/tracing.py")
    assert done.returncode == 0, done.stderr
    assert "Hello, Ada!" in done.stdout
    spans = {str(s["name"]): s for s in console_spans(done.stdout)}
    request = spans["handle request"]
    producer = spans["send arq:queue"]
    consumer = spans["process arq:queue"]
    assert producer["kind"] == "SpanKind.PRODUCER"
    assert consumer["kind"] == "SpanKind.CONSUMER"
    trace_ids = {str(s["context"]["trace_id"]) for s in (request, producer, consumer)}  # type: ignore[index]
    assert len(trace_ids) == 1
    assert consumer["parent_id"] == producer["context"]["span_id"]  # type: ignore[index]
    assert producer["parent_id"] == request["context"]["span_id"]  # type: ignore[index]


async def test_plain_worker_settings_example_traces_its_jobs(
    redis_settings: RedisSettings, span_exporter: InMemorySpanExporter
) -> None:
    example = load_example("plain_worker_settings")
    settings = example.WorkerSettings
    (function,) = settings.functions
    assert function.name == "send_report"
    assert function.coroutine.__wrapped__ is example.send_report
    async with await RedisArqQueue.initialize(
        redis_settings, default_queue_name="reports"
    ) as queue:
        with trace.get_tracer("tests").start_as_current_span("request"):
            job = await queue.enqueue("send_report", "2026-11")
        async with in_process_worker(settings, redis_settings) as worker:
            result = await queue.wait_for_result(job.id, timeout=20)
            await until_idle(worker)
    assert result.result == "report for 2026-11"
    spans = finished_spans(span_exporter)
    assert_child(
        one(spans, "process reports", "CONSUMER"),
        one(spans, "send reports", "PRODUCER"),
    )
