"""Telemetry: the mock's run_jobs and a real arq worker emit the same spans."""

from __future__ import annotations

import pytest
from arq.connections import RedisSettings
from opentelemetry import trace

from queue_core._embedded import in_process_worker
from tests import workers
from tests.conformance.conftest import WAIT, Backend
from tests.telemetry.expected import JOBS, assert_runs, until_idle
from tests.telemetry.sdk import finished_spans, installed_sdk


async def test_a_job_run_emits_the_same_spans_on_every_backend(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    exporter, _ = installed_sdk()
    exporter.clear()
    with trace.get_tracer("tests").start_as_current_span("request"):
        jobs = [
            await backend.queue.enqueue(name, *args, _queue_name=workers.RUN_QUEUE)
            for name, args, _ in JOBS
        ]
    if backend.mock is not None:
        await backend.mock.run_jobs(workers.RunSettings)
    else:
        settings: RedisSettings = request.getfixturevalue("redis_settings")
        async with in_process_worker(workers.RunSettings, settings) as worker:
            for job in jobs:
                await backend.queue.wait_for_result(
                    job.id, workers.RUN_QUEUE, timeout=WAIT, poll_interval=0.02
                )
            await until_idle(worker)
    assert_runs(finished_spans(exporter), workers.RUN_QUEUE, [job.id for job in jobs])
