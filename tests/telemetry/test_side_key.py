"""The trace context's side key: written with the job, never outliving it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from arq.connections import RedisSettings
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)
from redis.asyncio import Redis

from queue_core import TRACE_KEY_PREFIX, JobSpec, RedisArqQueue
from tests.telemetry.conftest import TracedWorker
from tests.telemetry.expected import until_running

pytestmark = [pytest.mark.redis]

QUEUE = "telemetry:side-key"
tracer = trace.get_tracer("tests")


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def queue(
    redis_settings: RedisSettings,
    span_exporter: InMemorySpanExporter,  # noqa: ARG001 - an SDK records spans
) -> AsyncIterator[RedisArqQueue]:
    async with await RedisArqQueue.initialize(
        redis_settings, default_queue_name=QUEUE
    ) as queue:
        yield queue


async def side_key_outlives_job(redis: Redis, job_id: str) -> bool:
    """Whether the side key exists while none of arq's job keys does."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.exists(TRACE_KEY_PREFIX + job_id)
        pipe.exists(
            f"arq:job:{job_id}", f"arq:in-progress:{job_id}", f"arq:retry:{job_id}"
        )
        side, job = await pipe.execute()
    return bool(side) and not job


async def time_to_live(redis: Redis, *keys: str) -> list[int]:
    """The keys' remaining lives in ms, read at one moment (MULTI/EXEC).

    PTTL rather than PEXPIRETIME, which Redis 6.2 lacks.
    """
    async with redis.pipeline(transaction=True) as pipe:
        for key in keys:
            pipe.pttl(key)
        lives: list[int] = await pipe.execute()
    return lives


async def test_the_side_key_holds_the_w3c_context_and_expires_with_the_job_key(
    queue: RedisArqQueue, redis: Redis
) -> None:
    with tracer.start_as_current_span("request"):
        job = await queue.enqueue("add", 1, 2, _expires=600)
        (batch,) = await queue.enqueue_many([JobSpec("add", (1, 2))])
    assert not isinstance(batch, Exception)
    for job_id in (job.id, batch.id):
        stored = await redis.get(TRACE_KEY_PREFIX + job_id)
        assert stored is not None
        assert b'"traceparent":"00-' in stored
        # Set by the same script with the same PX: the same expiry (read
        # one command apart, so within the millisecond Redis' clock moves).
        side, job_key = await time_to_live(
            redis, TRACE_KEY_PREFIX + job_id, f"arq:job:{job_id}"
        )
        assert side > 0
        assert abs(side - job_key) <= 1


async def test_the_side_key_expires_with_a_job_no_worker_took(
    queue: RedisArqQueue, redis: Redis
) -> None:
    with tracer.start_as_current_span("request"):
        job = await queue.enqueue("add", 1, 2, _expires=0.3)
    assert await redis.exists(TRACE_KEY_PREFIX + job.id)
    async with asyncio.timeout(10):
        while await redis.exists(f"arq:job:{job.id}"):
            assert not await side_key_outlives_job(redis, job.id)
            await asyncio.sleep(0.01)
    assert not await redis.exists(TRACE_KEY_PREFIX + job.id)


async def test_aborting_a_job_not_yet_running_deletes_its_side_key(
    queue: RedisArqQueue, redis: Redis
) -> None:
    with tracer.start_as_current_span("request"):
        job = await queue.enqueue("add", 1, 2, _defer_by=600)
    assert await redis.exists(TRACE_KEY_PREFIX + job.id)
    # No worker serves the queue: the abort is only asked for.
    with pytest.raises(TimeoutError):
        await queue.abort_job(job.id, timeout=0.2)
    assert not await redis.exists(TRACE_KEY_PREFIX + job.id)
    assert await redis.exists(f"arq:job:{job.id}")


@pytest.mark.worker
@pytest.mark.parametrize(
    ("task", "args"),
    [("add", (1, 2)), ("fail", ("on purpose",)), ("flaky", (2,)), ("flaky", (9,))],
    ids=["completed", "failed", "retried", "out-of-tries"],
)
async def test_a_worker_deletes_the_side_key_no_later_than_the_jobs_keys(
    queue: RedisArqQueue,
    redis: Redis,
    traced_worker: Callable[..., TracedWorker],
    task: str,
    args: tuple[object, ...],
) -> None:
    with tracer.start_as_current_span("request"):
        job = await queue.enqueue(task, *args)
    traced_worker(QUEUE)
    async with asyncio.timeout(20):
        while not await redis.exists(f"arq:result:{job.id}"):
            assert not await side_key_outlives_job(redis, job.id)
            await asyncio.sleep(0.005)
    assert not await redis.exists(TRACE_KEY_PREFIX + job.id)


@pytest.mark.worker
async def test_aborting_a_running_job_leaves_no_side_key(
    queue: RedisArqQueue,
    redis: Redis,
    traced_worker: Callable[..., TracedWorker],
) -> None:
    traced_worker(QUEUE)
    with tracer.start_as_current_span("request"):
        job = await queue.enqueue("sleep", 30)
    await until_running(redis, job.id)
    assert await redis.exists(TRACE_KEY_PREFIX + job.id)
    assert await queue.abort_job(job.id, timeout=20)
    assert not await redis.exists(TRACE_KEY_PREFIX + job.id)
