"""Enqueueing: metadata, options, duplicate ids."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from arq.utils import timestamp_ms

from queue_core import JobMetadata, JobNotFound, JobNotQueued, JobStatus
from tests.conformance.conftest import IDLE_QUEUE, WORK_QUEUE, Backend


async def test_enqueue_returns_the_new_jobs_metadata(backend: Backend) -> None:
    before = datetime.now(tz=UTC)
    job = await backend.queue.enqueue("echo", "hello", 2, key="value")

    assert len(job.id) == 32
    assert int(job.id, 16) >= 0
    assert job.name == "echo"
    assert job.args == ("hello", 2)
    assert job.kwargs == {"key": "value"}
    assert job.status is JobStatus.queued
    assert job.queue_name == IDLE_QUEUE
    assert job.enqueue_time.tzinfo is not None
    # arq rounds times to the millisecond.
    after = datetime.now(tz=UTC) + timedelta(milliseconds=1)
    assert before - timedelta(milliseconds=1) <= job.enqueue_time <= after


async def test_metadata_read_back_equals_what_enqueue_returned(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo", [1, 2], flag=True)

    assert await backend.queue.get_job_metadata(job.id) == job


async def test_underscored_options_never_reach_the_task(backend: Backend) -> None:
    job = await backend.queue.enqueue(
        "echo",
        1,
        _job_id="fixed-id",
        _queue_name=IDLE_QUEUE,
        _expires=60,
        _job_try=2,
        x=1,
    )

    stored = await backend.queue.get_job_metadata("fixed-id")
    assert job.id == "fixed-id"
    assert stored.kwargs == {"x": 1}
    assert stored.args == (1,)


async def test_a_job_on_another_queue_is_found_only_on_that_queue(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo", 1, _queue_name="conformance:other")

    assert job.queue_name == "conformance:other"
    found = await backend.queue.get_job_metadata(job.id, "conformance:other")
    assert found.queue_name == "conformance:other"
    with pytest.raises(JobNotFound, match=f"^Job could not be found. id={job.id}$"):
        await backend.queue.get_job_metadata(job.id)


async def test_a_duplicate_job_id_is_refused_and_changes_nothing(
    backend: Backend,
) -> None:
    first = await backend.queue.enqueue("echo", "first", _job_id="dup")

    with pytest.raises(JobNotQueued) as refused:
        await backend.queue.enqueue("echo", "second", _job_id="dup")

    assert refused.value.job_id == "dup"
    assert str(refused.value) == "Job was not queued because it already exists. id=dup"
    assert await backend.queue.get_job_metadata("dup") == first


async def test_job_ids_are_unique_across_queues_as_in_arq(backend: Backend) -> None:
    await backend.queue.enqueue("echo", 1, _job_id="shared")

    with pytest.raises(JobNotQueued):
        await backend.queue.enqueue("echo", 2, _job_id="shared", _queue_name="q2")

    with pytest.raises(JobNotFound):
        await backend.queue.get_job_metadata("shared", "q2")


async def test_the_id_of_a_finished_job_with_a_kept_result_is_refused(
    backend: Backend,
) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue(
        "add", 1, 2, _queue_name=WORK_QUEUE, _job_id="done"
    )
    await backend.finished(job.id)

    with pytest.raises(JobNotQueued):
        await backend.queue.enqueue("add", 3, 4, _queue_name=WORK_QUEUE, _job_id="done")

    assert (await backend.queue.get_job_result("done", WORK_QUEUE)).result == 3


async def test_concurrent_enqueues_with_one_id_have_exactly_one_winner(
    backend: Backend,
) -> None:
    attempts = [backend.queue.enqueue("echo", n, _job_id="race") for n in range(50)]
    outcomes = await asyncio.gather(*attempts, return_exceptions=True)

    winners = [o for o in outcomes if isinstance(o, JobMetadata)]
    losers = [o for o in outcomes if isinstance(o, JobNotQueued)]
    assert len(winners) == 1
    assert len(losers) == 49
    assert await backend.queue.get_job_metadata("race") == winners[0]


async def test_defer_by_makes_the_job_deferred_until_its_time(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo", 1, _defer_by=0.3)

    assert job.status is JobStatus.deferred
    assert (await backend.queue.get_job_metadata(job.id)).status is JobStatus.deferred
    await asyncio.sleep(0.4)
    assert (await backend.queue.get_job_metadata(job.id)).status is JobStatus.queued


async def test_defer_until_a_future_time_makes_the_job_deferred(
    backend: Backend,
) -> None:
    when = datetime.now(tz=UTC) + timedelta(minutes=5)
    job = await backend.queue.enqueue("echo", 1, _defer_until=when)

    assert job.status is JobStatus.deferred
    assert (await backend.queue.get_job_metadata(job.id)).status is JobStatus.deferred


async def test_defer_by_a_timedelta_is_accepted_like_seconds(backend: Backend) -> None:
    job = await backend.queue.enqueue("echo", 1, _defer_by=timedelta(minutes=1))

    assert job.status is JobStatus.deferred


async def test_a_deferred_job_runs_once_its_time_comes(backend: Backend) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue(
        "add", 2, 3, _queue_name=WORK_QUEUE, _defer_by=0.3
    )

    result = await backend.finished(job.id)

    assert result.result == 5
    assert result.start_time >= job.enqueue_time + timedelta(milliseconds=250)


async def test_a_repeated_id_with_the_same_arguments_in_one_millisecond_is_refused(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both calls read one clock time, so both payloads are byte for byte equal.
    now = timestamp_ms()
    monkeypatch.setattr("queue_core._jobs.timestamp_ms", lambda: now)
    first = await backend.queue.enqueue("echo", 1, _job_id="twin")

    with pytest.raises(JobNotQueued):
        await backend.queue.enqueue("echo", 1, _job_id="twin")
    assert await backend.queue.get_job_metadata("twin") == first
