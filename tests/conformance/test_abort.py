"""Aborting jobs, as arq's worker does it with ``allow_abort_jobs``."""

from __future__ import annotations

import asyncio

from queue_core import JobStatus
from tests.conformance.conftest import WORK_QUEUE, Backend

ABORT_QUEUE = "conformance:abort"
"""A queue whose worker starts only after the abort was asked for."""


def _assert_cancelled(result_value: object) -> None:
    assert isinstance(result_value, asyncio.CancelledError)


async def test_aborting_a_queued_job_ends_it_cancelled(backend: Backend) -> None:
    job = await backend.queue.enqueue("echo", 1, _queue_name=ABORT_QUEUE)
    aborting = asyncio.create_task(
        backend.queue.abort_job(job.id, ABORT_QUEUE, timeout=20)
    )
    await asyncio.sleep(0.1)
    await backend.start_worker(ABORT_QUEUE)

    assert await aborting is True
    result = await backend.queue.get_job_result(job.id, ABORT_QUEUE)
    assert result.success is False
    assert result.status is JobStatus.complete
    _assert_cancelled(result.result)


async def test_aborting_a_deferred_job_ends_it_cancelled_at_once(
    backend: Backend,
) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("echo", 1, _queue_name=WORK_QUEUE, _defer_by=600)

    assert await backend.queue.abort_job(job.id, WORK_QUEUE, timeout=20) is True

    result = await backend.queue.get_job_result(job.id, WORK_QUEUE)
    assert result.success is False
    _assert_cancelled(result.result)


async def test_aborting_a_running_job_cancels_it(backend: Backend) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("sleep", 30, _queue_name=WORK_QUEUE)
    await backend.started(job.id)

    assert await backend.queue.abort_job(job.id, WORK_QUEUE, timeout=20) is True

    result = await backend.queue.get_job_result(job.id, WORK_QUEUE)
    assert result.success is False
    _assert_cancelled(result.result)
    metadata = await backend.queue.get_job_metadata(job.id, WORK_QUEUE)
    assert metadata.status is JobStatus.complete


async def test_aborting_a_finished_job_returns_false_and_keeps_its_result(
    backend: Backend,
) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("add", 1, 2, _queue_name=WORK_QUEUE)
    await backend.finished(job.id)

    assert await backend.queue.abort_job(job.id, WORK_QUEUE, timeout=5) is False

    result = await backend.queue.get_job_result(job.id, WORK_QUEUE)
    assert result.success is True
    assert result.result == 3


async def test_aborting_an_unknown_job_returns_false(backend: Backend) -> None:
    assert await backend.queue.abort_job("nope", timeout=5) is False


async def test_aborting_on_the_wrong_queue_returns_false_and_leaves_the_job(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo", 1)

    assert (
        await backend.queue.abort_job(job.id, "conformance:other", timeout=5) is False
    )

    assert (await backend.queue.get_job_metadata(job.id)).status is JobStatus.queued
