"""Metric values after a known workload, through the SDK's in-memory reader."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
from arq.connections import RedisSettings
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from redis import Redis

from queue_core import JobSpec, JobStatus, RedisArqQueue, WorkerSettings
from queue_core._embedded import in_process_worker
from tests import workers
from tests.telemetry.expected import until_idle
from tests.telemetry.sdk import metric_points

pytestmark = [pytest.mark.redis, pytest.mark.worker]


def settings(queue_name: str) -> WorkerSettings:
    return WorkerSettings(
        functions=workers.FUNCTIONS,
        queue_name=queue_name,
        poll_delay=0.02,
        allow_abort_jobs=True,
    )


def eval_calls(client: Redis) -> int:
    """How many EVAL commands the server has run."""
    stats: dict[str, Any] = client.info("commandstats")  # type: ignore[assignment]
    return int(stats.get("cmdstat_eval", {}).get("calls", 0))


def total(points: list[tuple[dict[str, object], object]]) -> object:
    return sum(value for _, value in points)  # type: ignore[misc]


async def test_counters_and_durations_count_a_known_workload_by_queue_function_outcome(
    redis_settings: RedisSettings, metric_reader: InMemoryMetricReader
) -> None:
    queue_name = "telemetry:metrics"
    async with await RedisArqQueue.initialize(
        redis_settings, default_queue_name=queue_name
    ) as queue:
        jobs = [
            await queue.enqueue("add", 1, 2),
            await queue.enqueue("add", 3, 4),
            await queue.enqueue("fail", "on purpose"),
        ]
        batch = await queue.enqueue_many(
            [JobSpec("noop"), JobSpec("noop", job_id=jobs[0].id)]
        )
        async with in_process_worker(settings(queue_name), redis_settings) as worker:
            for job in [*jobs, batch[0]]:
                assert not isinstance(job, Exception)
                await queue.wait_for_result(job.id, timeout=20)
            await until_idle(worker)

    sent = metric_points(
        metric_reader,
        "messaging.client.sent.messages",
        messaging_destination_name=queue_name,
    )
    assert sorted((a.get("error.type", ""), v) for a, v in sent) == [
        ("", 4),
        ("JobNotQueued", 1),
    ]
    assert all(a["messaging.system"] == "arq" for a, _ in sent)
    consumed = metric_points(
        metric_reader,
        "messaging.client.consumed.messages",
        messaging_destination_name=queue_name,
    )
    assert total(consumed) == 4
    durations = metric_points(
        metric_reader,
        "messaging.process.duration",
        messaging_destination_name=queue_name,
    )
    assert sorted(
        (a["arq.job.function"], a["arq.job.outcome"], count) for a, count in durations
    ) == [("add", "success", 2), ("fail", "failure", 1), ("noop", "success", 1)]


async def test_queue_gauges_read_depth_and_in_progress_in_one_round_trip_a_collection(
    redis_settings: RedisSettings,
    redis_url: str,
    metric_reader: InMemoryMetricReader,
) -> None:
    queue_name = "telemetry:gauges"
    async with await RedisArqQueue.initialize(
        redis_settings, default_queue_name=queue_name
    ) as queue:
        await queue.enqueue("add", 1, 2, _defer_by=600)
        running = await queue.enqueue("sleep", 30)
        async with in_process_worker(settings(queue_name), redis_settings) as worker:
            async with asyncio.timeout(20):
                while (
                    await queue.get_job_metadata(running.id)
                ).status != JobStatus.in_progress:
                    await asyncio.sleep(0.02)
            gc.collect()  # queues left unclosed by earlier tests would count too
            client = Redis.from_url(redis_url)
            try:
                before = eval_calls(client)
                data = metric_reader.get_metrics_data()
                after = eval_calls(client)
            finally:
                client.close()
            assert await queue.abort_job(running.id, timeout=20)
            await until_idle(worker)
    assert after - before == 1
    assert data is not None
    values = {
        metric.name: [
            (dict(point.attributes or {}), getattr(point, "value", None))
            for point in metric.data.data_points
            if (point.attributes or {}).get("messaging.destination.name") == queue_name
        ]
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name.startswith("arq.queue.")
    }
    attributes = {"messaging.system": "arq", "messaging.destination.name": queue_name}
    assert values == {
        "arq.queue.depth": [(attributes, 2)],
        "arq.queue.in_progress": [(attributes, 1)],
    }
