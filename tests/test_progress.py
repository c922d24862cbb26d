"""report_progress's checks, and its side key on Redis, beside the conformance tests."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from queue_core import (
    PROGRESS_KEY_PREFIX,
    JobProgress,
    JobSpec,
    RedisArqQueue,
    report_progress,
)

NOW = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("done", "total", "fraction"),
    [(1, 4, 0.25), (5, None, None), (0, 0, None), (6, 3, 2.0)],
)
def test_fraction_is_done_over_total_when_there_is_a_total(
    done: float, total: float | None, fraction: float | None
) -> None:
    assert JobProgress(done, total, None, NOW).fraction == fraction


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ((True,), TypeError),
        (("3",), TypeError),
        ((1, "4"), TypeError),
        ((1, 4, 5), TypeError),
        ((-1,), ValueError),
        ((1, -4), ValueError),
        ((math.nan,), ValueError),
        ((1, math.inf), ValueError),
    ],
)
async def test_report_progress_refuses_what_is_not_progress(
    arguments: tuple[Any, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        await report_progress({}, *arguments)


async def test_report_progress_outside_a_worker_records_nothing() -> None:
    await report_progress({}, 1, 2, "a task called directly")
    await report_progress({"job_id": "j"}, 1)
    await report_progress({"redis": object()}, 1)


async def test_progress_for_a_job_not_in_redis_is_not_written(
    redis_queue: RedisArqQueue,
) -> None:
    ctx = {"redis": redis_queue.pool, "job_id": "gone"}

    await report_progress(ctx, 1, 2)

    assert await redis_queue.pool.exists(PROGRESS_KEY_PREFIX + "gone") == 0


async def test_a_progress_record_expires_with_its_jobs_key(
    redis_queue: RedisArqQueue,
) -> None:
    job = await redis_queue.enqueue("echo", _expires=60)
    ctx = {"redis": redis_queue.pool, "job_id": job.id}

    await report_progress(ctx, 1, 2, "half")

    async with redis_queue.pool.pipeline(transaction=True) as both:  # one instant
        both.pttl(PROGRESS_KEY_PREFIX + job.id)
        both.pttl(f"arq:job:{job.id}")
        progress, job_ttl = await both.execute()
    assert 0 < progress <= job_ttl <= 60_000
    read = (await redis_queue.get_job_metadata(job.id)).progress
    assert read is not None
    assert (read.done, read.total, read.message) == (1, 2, "half")


async def test_a_new_job_with_an_earlier_jobs_id_starts_without_its_progress(
    redis_queue: RedisArqQueue,
) -> None:
    pool = redis_queue.pool
    for job_id in ("one", "many"):
        await pool.set(PROGRESS_KEY_PREFIX + job_id, b'{"done":1,"total":null}')

    one = await redis_queue.enqueue("echo", _job_id="one")
    (many,) = await redis_queue.enqueue_many([JobSpec("echo", job_id="many")])

    assert await pool.exists(PROGRESS_KEY_PREFIX + "one") == 0
    assert await pool.exists(PROGRESS_KEY_PREFIX + "many") == 0
    assert (await redis_queue.get_job_metadata(one.id)).progress is None
    assert not isinstance(many, Exception)
    assert (await redis_queue.get_job_metadata(many.id)).progress is None


async def test_an_unreadable_progress_record_reads_as_none(
    redis_queue: RedisArqQueue,
) -> None:
    job = await redis_queue.enqueue("echo")
    await redis_queue.pool.set(PROGRESS_KEY_PREFIX + job.id, b"\x80 not json")

    assert (await redis_queue.get_job_metadata(job.id)).progress is None
