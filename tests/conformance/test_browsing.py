"""What a job browser reads: counts, pages of jobs and results, and aborts."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from queue_core import JobMetadata, JobSpec, JobStatus, QueueCounts
from tests.conformance.conftest import WORK_QUEUE, Backend


async def test_counts_split_a_queue_by_status_without_other_queues(
    backend: Backend,
) -> None:
    await backend.start_worker()
    running = await backend.queue.enqueue("sleep", 5, _queue_name=WORK_QUEUE)
    await backend.started(running.id)
    await backend.queue.enqueue("echo", 1, _queue_name=WORK_QUEUE, _defer_by=600)
    await backend.queue.enqueue("echo", 2, _queue_name=WORK_QUEUE, _defer_by=600)
    await backend.queue.enqueue("echo", 3)

    counts = await backend.queue.count_jobs(WORK_QUEUE)

    assert counts == QueueCounts(WORK_QUEUE, depth=3, in_progress=1, deferred=2)
    assert await backend.queue.count_jobs("conformance:empty") == QueueCounts(
        "conformance:empty", depth=0, in_progress=0, deferred=0
    )
    assert await backend.queue.request_abort(running.id, WORK_QUEUE) is True
    await backend.queue.wait_for_result(running.id, WORK_QUEUE, timeout=20)


async def test_listing_skips_the_offset_to_reach_deferred_jobs_at_the_end(
    backend: Backend,
) -> None:
    for n in range(4):
        await backend.queue.enqueue("echo", n, _job_id=f"job-{n}")
    await backend.queue.enqueue("echo", 9, _job_id="later", _defer_by=60)
    counts = await backend.queue.count_jobs()

    tail = await backend.queue.list_jobs(offset=counts.depth - counts.deferred)
    middle = await backend.queue.list_jobs(offset=1, limit=2)

    assert [job.id for job in tail] == ["later"]
    assert [job.id for job in middle] == ["job-1", "job-2"]


async def test_result_pages_hold_each_finished_job_of_the_queue_once(
    backend: Backend,
) -> None:
    await backend.start_worker()
    jobs = [
        await backend.queue.enqueue("add", n, 1, _queue_name=WORK_QUEUE)
        for n in range(5)
    ]
    other = await backend.queue.enqueue("echo", 1, _queue_name=WORK_QUEUE)
    for job in [*jobs, other]:
        await backend.finished(job.id)
    unfinished = await backend.queue.enqueue("echo", 2, _queue_name=WORK_QUEUE)

    seen: list[str] = []
    pages = 0
    cursor: str | None = None
    while pages == 0 or cursor is not None:
        page = await backend.queue.list_results(WORK_QUEUE, limit=2, cursor=cursor)
        assert len(page.results) <= 2
        assert all(result.status is JobStatus.complete for result in page.results)
        seen += [result.id for result in page.results]
        cursor = page.cursor
        pages += 1

    assert sorted(seen) == sorted(job.id for job in [*jobs, other])
    assert pages >= 3
    assert unfinished.id not in seen
    empty = await backend.queue.list_results("conformance:empty")
    assert empty.results == []


async def finished_batch(backend: Backend, specs: list[JobSpec]) -> list[str]:
    """Enqueue a batch on the worker's queue and wait for its results."""
    outcomes = await backend.queue.enqueue_many(specs, queue_name=WORK_QUEUE)
    ids = [o.id for o in outcomes if isinstance(o, JobMetadata)]
    assert len(ids) == len(specs)
    for job_id in ids:
        await backend.finished(job_id)
    return ids


async def test_result_pages_miss_no_result_while_more_jobs_finish(
    backend: Backend,
) -> None:
    await backend.start_worker()
    kept = await finished_batch(backend, [JobSpec("add", (n, 1)) for n in range(30)])

    seen: list[str] = []
    cursor: str | None = None
    for more in itertools.count():
        page = await backend.queue.list_results(WORK_QUEUE, limit=2, cursor=cursor)
        seen += [result.id for result in page.results]
        cursor = page.cursor
        if cursor is None:
            break
        # Results that appear between two pages must not push one out.
        await finished_batch(backend, [JobSpec("add", (more, n)) for n in range(3)])

    assert set(kept) <= set(seen)


async def test_a_result_page_needs_room_and_a_cursor_it_made(
    backend: Backend,
) -> None:
    with pytest.raises(ValueError, match="limit must be at least 1, got 0"):
        await backend.queue.list_results(WORK_QUEUE, limit=0)
    with pytest.raises(ValueError, match="not a list_results cursor: 'page-2'"):
        await backend.queue.list_results(WORK_QUEUE, cursor="page-2")


async def test_requesting_an_abort_answers_before_the_worker_aborts(
    backend: Backend,
) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("sleep", 30, _queue_name=WORK_QUEUE)
    await backend.started(job.id)

    assert await backend.queue.request_abort(job.id, WORK_QUEUE) is True

    result = await backend.queue.wait_for_result(job.id, WORK_QUEUE, timeout=20)
    assert result.success is False
    assert isinstance(result.result, asyncio.CancelledError)
    assert await backend.queue.request_abort(job.id, WORK_QUEUE) is False
    assert await backend.queue.request_abort("no-such-job", WORK_QUEUE) is False


async def test_listing_names_the_unreadable_jobs_it_leaves_out(
    backend: Backend,
) -> None:
    await backend.queue.enqueue("echo", 1, _job_id="fine")
    await backend.queue.enqueue("echo", 2, _job_id="spoiled")
    if backend.mock is not None:
        backend.mock._jobs["spoiled"].payload = b"written by something else"
    else:
        assert backend.redis is not None
        await backend.redis.set("arq:job:spoiled", b"written by something else")
    skipped: list[str] = []

    listed = await backend.queue.list_jobs(skipped=skipped)

    assert [job.id for job in listed] == ["fine"]
    assert skipped == ["spoiled"]
