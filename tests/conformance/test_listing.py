"""Listing a queue's unfinished jobs, and its depth."""

from __future__ import annotations

from queue_core import JobStatus
from tests.conformance.conftest import WORK_QUEUE, Backend


async def test_listing_returns_unfinished_jobs_in_the_order_they_run(
    backend: Backend,
) -> None:
    first = await backend.queue.enqueue("echo", 1, _job_id="a-first")
    later = await backend.queue.enqueue("echo", 2, _job_id="b-later", _defer_by=60)
    second = await backend.queue.enqueue("echo", 3, _job_id="c-second")
    await backend.queue.enqueue("echo", 4, _queue_name="conformance:other")

    listed = await backend.queue.list_jobs()

    assert [job.id for job in listed] == [first.id, second.id, later.id]
    assert [job.status for job in listed] == [
        JobStatus.queued,
        JobStatus.queued,
        JobStatus.deferred,
    ]
    assert listed[0] == first
    assert listed[2] == later


async def test_listing_filters_by_status_and_stops_at_the_limit(
    backend: Backend,
) -> None:
    for n in range(5):
        await backend.queue.enqueue("echo", n, _job_id=f"job-{n}")
    await backend.queue.enqueue("echo", 9, _job_id="deferred", _defer_by=60)

    deferred = await backend.queue.list_jobs(status=JobStatus.deferred)
    limited = await backend.queue.list_jobs(limit=2)

    assert [job.id for job in deferred] == ["deferred"]
    assert [job.id for job in limited] == ["job-0", "job-1"]


async def test_listing_shows_running_jobs_in_progress_and_omits_finished_ones(
    backend: Backend,
) -> None:
    await backend.start_worker()
    running = await backend.queue.enqueue("sleep", 1, _queue_name=WORK_QUEUE)
    done = await backend.queue.enqueue("add", 1, 1, _queue_name=WORK_QUEUE)
    await backend.finished(done.id)
    await backend.started(running.id)

    listed = await backend.queue.list_jobs(WORK_QUEUE)

    assert [(job.id, job.status) for job in listed] == [
        (running.id, JobStatus.in_progress)
    ]
    assert await backend.queue.queue_depth(WORK_QUEUE) == 1
    await backend.finished(running.id)
    assert await backend.queue.list_jobs(WORK_QUEUE) == []
    assert await backend.queue.queue_depth(WORK_QUEUE) == 0


async def test_queue_depth_counts_queued_and_deferred_jobs_per_queue(
    backend: Backend,
) -> None:
    await backend.queue.enqueue("echo", 1)
    await backend.queue.enqueue("echo", 2, _defer_by=60)
    await backend.queue.enqueue("echo", 3, _queue_name="conformance:other")

    assert await backend.queue.queue_depth() == 2
    assert await backend.queue.queue_depth("conformance:other") == 1
    assert await backend.queue.queue_depth("conformance:empty") == 0


async def test_listing_an_empty_queue_returns_nothing(backend: Backend) -> None:
    assert await backend.queue.list_jobs("conformance:empty") == []
