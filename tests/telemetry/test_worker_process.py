"""A job's trace from the enqueuing process to a real worker process.

Every test runs with arq's worker (``python -m arq``) and with queue-core's
(``queue-core worker``), on the same settings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from arq.connections import RedisSettings
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from redis.asyncio import Redis

from queue_core import JobSpec, RedisArqQueue
from tests.telemetry.conftest import TracedWorker
from tests.telemetry.expected import (
    assert_child,
    consumer_attributes,
    one,
    producer_attributes,
    until_running,
    without_error_type,
)
from tests.telemetry.sdk import finished_spans
from tests.telemetry.spans import job_spans, read_spans, wait_for_spans
from tests.telemetry.worker import SLOW_TIMEOUT, TELEMETRY_ENV

pytestmark = [pytest.mark.redis, pytest.mark.worker]

QUEUE = "telemetry:worker"
tracer = trace.get_tracer("tests")


@pytest.fixture
async def queue(redis_settings: RedisSettings) -> AsyncIterator[RedisArqQueue]:
    async with await RedisArqQueue.initialize(
        redis_settings, default_queue_name=QUEUE
    ) as queue:
        yield queue


@pytest.fixture(params=["arq", "queue-core"])
def worker(
    request: pytest.FixtureRequest, traced_worker: Callable[..., TracedWorker]
) -> TracedWorker:
    return traced_worker(QUEUE, program=request.param)


async def test_a_worker_process_runs_the_job_in_a_consumer_span_under_its_producer_span(
    queue: RedisArqQueue,
    worker: TracedWorker,
    span_exporter: InMemorySpanExporter,
) -> None:
    with tracer.start_as_current_span("request") as request:
        job = await queue.enqueue("add", 1, 2)
    result = await queue.wait_for_result(job.id, timeout=20)
    assert result.result == 3

    spans = finished_spans(span_exporter)
    producer = one(spans, f"send {QUEUE}", "PRODUCER")
    assert producer["attributes"] == producer_attributes(QUEUE, job.id)
    assert producer["parent_id"] == f"{request.get_span_context().span_id:016x}"
    assert producer["status"] == "UNSET"

    (consumer,) = await wait_for_spans(worker.spans_path, job_spans(job.id))
    assert consumer["name"] == f"process {QUEUE}"
    assert consumer["kind"] == "CONSUMER"
    assert consumer["service"] == "worker"
    assert consumer["attributes"] == consumer_attributes(
        QUEUE, job.id, "add", 1, "success"
    )
    assert consumer["status"] == "UNSET"
    assert_child(consumer, producer)


async def test_a_failed_job_records_its_exception_and_sets_an_error_status(
    queue: RedisArqQueue,
    worker: TracedWorker,
    span_exporter: InMemorySpanExporter,
) -> None:
    job = await queue.enqueue("fail", "on purpose")
    result = await queue.wait_for_result(job.id, timeout=20)
    assert not result.success

    (consumer,) = await wait_for_spans(worker.spans_path, job_spans(job.id))
    assert consumer["status"] == "ERROR"
    assert consumer["description"] == "TaskFailedError: on purpose"
    assert consumer["attributes"]["error.type"] == "TaskFailedError"
    assert without_error_type(consumer["attributes"]) == consumer_attributes(
        QUEUE, job.id, "fail", 1, "failure"
    )
    (event,) = consumer["events"]
    assert event["name"] == "exception"
    assert event["attributes"]["exception.type"].endswith("TaskFailedError")
    assert event["attributes"]["exception.message"] == "on purpose"
    assert_child(
        consumer, one(finished_spans(span_exporter), f"send {QUEUE}", "PRODUCER")
    )


async def test_each_try_of_a_retried_job_is_a_consumer_span_under_the_same_producer(
    queue: RedisArqQueue,
    worker: TracedWorker,
    span_exporter: InMemorySpanExporter,
) -> None:
    job = await queue.enqueue("flaky", 3)
    result = await queue.wait_for_result(job.id, timeout=20)
    assert result.result == 3

    runs = await wait_for_spans(worker.spans_path, job_spans(job.id), count=3)
    producer = one(finished_spans(span_exporter), f"send {QUEUE}", "PRODUCER")
    assert [run["attributes"]["arq.job.try"] for run in runs] == [1, 2, 3]
    assert [run["attributes"]["arq.job.outcome"] for run in runs] == [
        "retry",
        "retry",
        "success",
    ]
    for run in runs:
        assert_child(run, producer)
        assert run["status"] == "UNSET"
    assert [event["name"] for event in runs[0]["events"]] == ["exception"]


async def test_an_aborted_job_says_it_was_aborted(
    queue: RedisArqQueue,
    worker: TracedWorker,
    span_exporter: InMemorySpanExporter,
) -> None:
    job = await queue.enqueue("sleep", 30)
    await until_running(queue.pool, job.id)
    assert await queue.abort_job(job.id, timeout=20)

    (consumer,) = await wait_for_spans(worker.spans_path, job_spans(job.id))
    assert consumer["attributes"]["arq.job.outcome"] == "aborted"
    assert consumer["status"] == "ERROR"
    assert consumer["description"] == "job aborted"
    producer = one(finished_spans(span_exporter), f"send {QUEUE}", "PRODUCER")
    assert_child(consumer, producer)
    abort = one(finished_spans(span_exporter), f"abort_job {QUEUE}", "CLIENT")
    assert abort["attributes"]["messaging.message.id"] == job.id


async def test_a_timed_out_job_says_it_timed_out(
    queue: RedisArqQueue,
    worker: TracedWorker,
) -> None:
    job = await queue.enqueue("slow", 30)
    result = await queue.wait_for_result(job.id, timeout=20)
    assert isinstance(result.result, TimeoutError)

    (consumer,) = await wait_for_spans(worker.spans_path, job_spans(job.id))
    assert consumer["attributes"]["arq.job.outcome"] == "timeout"
    assert consumer["attributes"]["error.type"] == "TimeoutError"
    assert consumer["status"] == "ERROR"
    assert consumer["description"] == f"job timed out after {SLOW_TIMEOUT}s"
    (event,) = consumer["events"]
    assert event["attributes"]["exception.type"] == "TimeoutError"


async def test_enqueue_many_sends_one_producer_span_whose_context_reaches_every_job(
    queue: RedisArqQueue,
    worker: TracedWorker,
    span_exporter: InMemorySpanExporter,
) -> None:
    outcomes = await queue.enqueue_many([JobSpec("add", (n, n)) for n in range(3)])
    ids = [outcome.id for outcome in outcomes if not isinstance(outcome, Exception)]
    for job_id in ids:
        await queue.wait_for_result(job_id, timeout=20)
    assert len(ids) == 3

    producer = one(finished_spans(span_exporter), f"send {QUEUE}", "PRODUCER")
    assert producer["attributes"] == {
        "messaging.system": "arq",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": QUEUE,
        "messaging.batch.message_count": 3,
    }
    runs = await wait_for_spans(
        worker.spans_path, lambda s: s["name"] == f"process {QUEUE}", count=3
    )
    assert sorted(run["attributes"]["messaging.message.id"] for run in runs) == sorted(
        ids
    )
    for run in runs:
        assert_child(run, producer)


async def test_reads_run_in_client_spans_named_after_the_call_and_queue(
    queue: RedisArqQueue,
    span_exporter: InMemorySpanExporter,
) -> None:
    job = await queue.enqueue("add", 1, 2)
    await queue.get_job_metadata(job.id)
    await queue.list_jobs()
    span_exporter.clear()
    with pytest.raises(Exception, match="not"):
        await queue.get_job_result(job.id)

    spans = finished_spans(span_exporter)
    read = one(spans, f"get_job_result {QUEUE}", "CLIENT")
    assert read["attributes"] == {
        "messaging.system": "arq",
        "messaging.operation.name": "get_job_result",
        "messaging.destination.name": QUEUE,
        "messaging.message.id": job.id,
        "error.type": "JobResultUnavailable",
    }
    assert read["status"] == "ERROR"


async def test_telemetry_off_emits_no_spans_and_writes_no_side_key(
    redis_settings: RedisSettings,
    redis_url: str,
    traced_worker: Callable[..., TracedWorker],
    span_exporter: InMemorySpanExporter,
) -> None:
    worker = traced_worker(QUEUE, env={TELEMETRY_ENV: "0"})
    async with await RedisArqQueue.initialize(
        redis_settings, default_queue_name=QUEUE, telemetry=False
    ) as queue:
        with tracer.start_as_current_span("request"):
            job = await queue.enqueue("add", 1, 2)
            batch = await queue.enqueue_many([JobSpec("add", (2, 2))])
            client = Redis.from_url(redis_url)
            try:
                assert await client.keys("arq:trace:*") == []
            finally:
                await client.aclose()
            await queue.wait_for_result(job.id, timeout=20)
    assert len(batch) == 1
    assert [s["name"] for s in finished_spans(span_exporter)] == ["request"]
    assert read_spans(worker.spans_path) == []
