"""Reading jobs: statuses through a job's life, results, errors."""

from __future__ import annotations

import asyncio

import pytest

from queue_core import JobNotFound, JobResultUnavailable, JobStatus
from tests.conformance.conftest import WORK_QUEUE, Backend
from tests.workers import TaskFailedError


async def test_an_unknown_id_is_not_found_for_metadata_and_results(
    backend: Backend,
) -> None:
    with pytest.raises(JobNotFound) as metadata_error:
        await backend.queue.get_job_metadata("nope")
    with pytest.raises(JobNotFound) as result_error:
        await backend.queue.get_job_result("nope")

    assert str(metadata_error.value) == "Job could not be found. id=nope"
    assert metadata_error.value.job_id == "nope"
    assert str(result_error.value) == "Job could not be found. id=nope"


async def test_a_queued_job_has_no_result_yet(backend: Backend) -> None:
    job = await backend.queue.enqueue("echo", 1)

    with pytest.raises(JobResultUnavailable) as error:
        await backend.queue.get_job_result(job.id)

    assert str(error.value) == f"Job result could not be found. id={job.id}"
    assert error.value.job_id == job.id


async def test_a_started_job_is_in_progress_without_a_result(
    backend: Backend,
) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("sleep", 1, _queue_name=WORK_QUEUE)

    await backend.started(job.id)

    metadata = await backend.queue.get_job_metadata(job.id, WORK_QUEUE)
    assert metadata.status is JobStatus.in_progress
    assert metadata.args == (1,)
    with pytest.raises(JobResultUnavailable):
        await backend.queue.get_job_result(job.id, WORK_QUEUE)
    await backend.finished(job.id)


async def test_a_finished_job_reports_its_result_and_times(backend: Backend) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("add", 20, b=22, _queue_name=WORK_QUEUE)

    result = await backend.finished(job.id)

    assert result.success is True
    assert result.result == 42
    assert result.status is JobStatus.complete
    assert result.id == job.id
    assert result.name == "add"
    assert result.args == (20,)
    assert result.kwargs == {"b": 22}
    assert result.queue_name == WORK_QUEUE
    assert result.enqueue_time == job.enqueue_time
    assert job.enqueue_time <= result.start_time <= result.finish_time
    metadata = await backend.queue.get_job_metadata(job.id, WORK_QUEUE)
    assert metadata.status is JobStatus.complete
    assert metadata.args == (20,)


async def test_a_failed_job_reports_the_exception_it_raised(backend: Backend) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("fail", "boom", _queue_name=WORK_QUEUE)

    result = await backend.finished(job.id)

    assert result.success is False
    assert isinstance(result.result, TaskFailedError)
    assert str(result.result) == "boom"
    assert result.status is JobStatus.complete


async def test_a_finished_job_is_not_found_on_another_queue(backend: Backend) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("add", 1, 1, _queue_name=WORK_QUEUE)
    await backend.finished(job.id)

    with pytest.raises(JobNotFound):
        await backend.queue.get_job_result(job.id)
    with pytest.raises(JobNotFound):
        await backend.queue.get_job_metadata(job.id)


async def test_a_running_job_is_not_found_on_another_queue(backend: Backend) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("sleep", 1, _queue_name=WORK_QUEUE)
    await backend.started(job.id)

    with pytest.raises(JobNotFound):
        await backend.queue.get_job_metadata(job.id)
    await backend.finished(job.id)


async def test_returned_values_are_snapshots(backend: Backend) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("echo", {"a": [1]}, _queue_name=WORK_QUEUE)
    first = await backend.queue.get_job_metadata(job.id, WORK_QUEUE)
    first.args[0]["a"].append(2)
    first.kwargs["added"] = True
    first.status = JobStatus.complete

    second = await backend.queue.get_job_metadata(job.id, WORK_QUEUE)
    result = await backend.finished(job.id)

    assert second.args == ({"a": [1]},)
    assert second.kwargs == {}
    assert result.result == {"a": [1]}
    assert first.status is JobStatus.complete
    assert second.status is not JobStatus.complete


async def test_wait_for_result_returns_once_the_job_finishes(backend: Backend) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue("add", 1, 2, _queue_name=WORK_QUEUE)

    waiting = asyncio.create_task(
        backend.queue.wait_for_result(
            job.id, WORK_QUEUE, timeout=20, poll_interval=0.02
        )
    )
    await backend.finished(job.id)

    assert (await waiting).result == 3


async def test_wait_for_result_gives_up_after_its_timeout(backend: Backend) -> None:
    job = await backend.queue.enqueue("echo", 1)

    with pytest.raises(TimeoutError):
        await backend.queue.wait_for_result(job.id, timeout=0.2, poll_interval=0.05)


async def test_wait_for_result_of_an_unknown_job_is_not_found(backend: Backend) -> None:
    with pytest.raises(JobNotFound):
        await backend.queue.wait_for_result("nope", timeout=1)


async def test_ping_says_the_backend_answers(backend: Backend) -> None:
    assert await backend.queue.ping() is True
