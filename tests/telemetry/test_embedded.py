"""Embedded mode: its in-process worker emits the spans a worker process does."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from queue_core import EmbeddedArqQueue
from tests import workers
from tests.telemetry.expected import JOBS, assert_runs, until_idle
from tests.telemetry.sdk import finished_spans

pytestmark = [pytest.mark.slow]


async def test_an_embedded_queue_and_its_worker_emit_the_same_spans_as_redis(
    span_exporter: InMemorySpanExporter,
) -> None:
    async with await EmbeddedArqQueue.start(
        worker_settings=workers.RunSettings, default_queue_name=workers.RUN_QUEUE
    ) as queue:
        with trace.get_tracer("tests").start_as_current_span("request"):
            jobs = [await queue.enqueue(name, *args) for name, args, _ in JOBS]
        for job in jobs:
            await queue.wait_for_result(job.id, timeout=20, poll_interval=0.02)
        assert queue.worker is not None
        await until_idle(queue.worker)
    assert_runs(
        finished_spans(span_exporter), workers.RUN_QUEUE, [job.id for job in jobs]
    )


async def test_telemetry_false_on_an_embedded_queue_emits_no_producer_span(
    span_exporter: InMemorySpanExporter,
) -> None:
    async with await EmbeddedArqQueue.start(telemetry=False) as queue:
        await queue.enqueue("echo", 1)
    assert finished_spans(span_exporter) == []
