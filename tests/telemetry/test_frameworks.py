"""A request to each framework's example: one trace from its request span to
the real ``python -m arq`` worker that ran the job.

Each app is instrumented with its framework's own OpenTelemetry
instrumentation; the worker process exports its spans to a file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from arq.connections import RedisSettings
from examples.fastapi_app import main as fastapi_main
from examples.fastapi_app.config import Config
from examples.litestar_app import main as litestar_main
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.testing import AsyncTestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.starlette import StarletteInstrumentor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from PIL import Image
from pydantic import RedisDsn

from queue_core import ArqMode, RedisArqQueue
from tests.conftest import asgi_client, load_example
from tests.telemetry import timeline
from tests.telemetry.conftest import TracedWorker
from tests.telemetry.expected import (
    assert_child,
    consumer_attributes,
    one,
    producer_attributes,
)
from tests.telemetry.sdk import finished_spans
from tests.telemetry.spans import Span, job_spans, wait_for_spans, write_spans
from tests.telemetry.timeline import render
from tests.test_examples import poll_until_complete, post_count_words

pytestmark = [pytest.mark.redis, pytest.mark.worker]

SAVE_TRACE_ENV = "QUEUE_CORE_SAVE_TRACE"
"""If set, the FastAPI test writes the whole trace there (for the docs)."""

EXAMPLE_WORKER = "tests.telemetry.example_worker.WorkerSettings"


def example_config(redis_url: str, queue_name: str) -> tuple[Config, dict[str, str]]:
    """The examples' production config, and the same for the worker's env."""
    config = Config(
        arq_mode=ArqMode.production,
        arq_queue_url=RedisDsn(redis_url),
        arq_queue_name=queue_name,
    )
    env = {
        "APP_ARQ_MODE": "production",
        "APP_ARQ_QUEUE_URL": redis_url,
        "APP_ARQ_QUEUE_NAME": queue_name,
    }
    return config, env


async def assert_one_trace(
    spans: list[Span], worker: TracedWorker, queue_name: str, function: str
) -> list[Span]:
    """The request's SERVER span parents the PRODUCER span, which parents the
    worker's CONSUMER span; returns the trace's spans, worker's included."""
    producer = one(spans, f"send {queue_name}", "PRODUCER")
    job_id = producer["attributes"]["messaging.message.id"]
    assert producer["attributes"] == producer_attributes(queue_name, job_id)
    (server,) = [s for s in spans if s["span_id"] == producer["parent_id"]]
    assert server["kind"] == "SERVER"
    assert server["name"].startswith("POST /")
    assert server["parent_id"] is None
    (consumer,) = await wait_for_spans(worker.spans_path, job_spans(job_id))
    assert consumer["kind"] == "CONSUMER"
    assert consumer["attributes"] == consumer_attributes(
        queue_name, job_id, function, 1, "success"
    )
    assert_child(consumer, producer)
    return [s for s in spans if s["trace_id"] == server["trace_id"]] + [consumer]


async def test_a_fastapi_request_and_the_job_it_enqueued_are_one_trace(
    redis_url: str,
    redis_settings: RedisSettings,  # noqa: ARG001 - empties the suite's Redis
    traced_worker: Callable[..., TracedWorker],
    span_exporter: InMemorySpanExporter,
    tmp_path: Path,
) -> None:
    queue_name = "telemetry:fastapi"
    config, env = example_config(redis_url, queue_name)
    worker = traced_worker(queue_name, settings_path=EXAMPLE_WORKER, env=env)
    app = fastapi_main.create_app(config)
    FastAPIInstrumentor.instrument_app(app)
    async with asgi_client(app) as client:
        location, _ = await post_count_words(client)
        await poll_until_complete(client, location)
    trace = await assert_one_trace(
        finished_spans(span_exporter), worker, queue_name, "count_words"
    )
    assert {span["service"] for span in trace} == {"web-app", "arq-worker"}
    saved = os.environ.get(SAVE_TRACE_ENV)
    if saved:
        write_spans(Path(saved), trace)
    # The docs' screenshot is this drawing of such a trace.
    drawing = tmp_path / "trace.png"
    render(trace, drawing)
    with Image.open(drawing) as image:
        assert image.size == (timeline.WIDTH, timeline.height(len(trace)))


async def test_a_starlette_request_and_the_job_it_enqueued_are_one_trace(
    redis_settings: RedisSettings,
    traced_worker: Callable[..., TracedWorker],
    span_exporter: InMemorySpanExporter,
) -> None:
    queue_name = "telemetry:starlette"
    worker = traced_worker(queue_name)
    example = load_example("starlette_app")
    app: Any = example.app
    StarletteInstrumentor.instrument_app(app)
    # The example's lifespan uses a queue already on app.state (as tests do).
    app.state.arq_queue = await RedisArqQueue.initialize(
        redis_settings, default_queue_name=queue_name
    )
    try:
        async with asgi_client(app) as client:
            response = await client.post("/reports", params={"period": "2026-11"})
            assert response.status_code == 202
            result = await app.state.arq_queue.wait_for_result(
                response.json()["job_id"], timeout=20
            )
    finally:
        await app.state.arq_queue.aclose()
    assert result.result == "report for 2026-11"
    await assert_one_trace(
        finished_spans(span_exporter), worker, queue_name, "build_report"
    )


async def test_a_litestar_request_and_the_job_it_enqueued_are_one_trace(
    redis_url: str,
    redis_settings: RedisSettings,  # noqa: ARG001 - empties the suite's Redis
    traced_worker: Callable[..., TracedWorker],
    span_exporter: InMemorySpanExporter,
) -> None:
    queue_name = "telemetry:litestar"
    config, env = example_config(redis_url, queue_name)
    worker = traced_worker(queue_name, settings_path=EXAMPLE_WORKER, env=env)
    app = litestar_main.create_app(
        config, plugins=[OpenTelemetryPlugin(OpenTelemetryConfig())]
    )
    async with AsyncTestClient(app) as client:
        location, _ = await post_count_words(client)
        await poll_until_complete(client, location)
    await assert_one_trace(
        finished_spans(span_exporter), worker, queue_name, "count_words"
    )
