"""Typed tasks: enqueued by reference, with options, in batches, results typed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from queue_core import JobMetadata, JobNotQueued, JobSpec, JobStatus
from tests.conformance.conftest import IDLE_QUEUE, WORK_QUEUE, Backend
from tests.workers import multiply


async def test_a_task_is_enqueued_under_the_name_arq_registers_it(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue(multiply, 6, b=7)

    assert job.name == multiply.name == "multiply"
    assert job.args == (6,)
    assert job.kwargs == {"b": 7}
    assert job.status is JobStatus.queued
    assert job.queue_name == IDLE_QUEUE
    assert await backend.queue.get_job_metadata(job.id) == job


async def test_a_task_job_runs_and_its_metadata_reads_its_result(
    backend: Backend,
) -> None:
    await backend.start_worker()
    job = await backend.queue.enqueue(multiply.options(queue_name=WORK_QUEUE), 6, 7)

    finished = await backend.finished(job.id)
    result = await backend.queue.get_job_result(job)

    assert result == finished
    assert result.result == 42
    assert result.success is True
    assert result.queue_name == WORK_QUEUE
    assert await backend.queue.wait_for_result(job, timeout=1) == result


async def test_task_options_mean_what_the_underscored_options_mean(
    backend: Backend,
) -> None:
    later = datetime.now(tz=UTC) + timedelta(hours=1)
    options: dict[str, Any] = {
        "queue_name": "conformance:other",
        "defer_until": later,
        "expires": timedelta(hours=2),
        "job_try": 3,
    }
    by_task = await backend.queue.enqueue(
        multiply.options(job_id="by-task", **options), 2, 3
    )
    by_name = await backend.queue.enqueue(
        "multiply",
        2,
        3,
        _job_id="by-name",
        **{f"_{name}": value for name, value in options.items()},
    )

    assert by_task.id == "by-task"
    assert by_task.status is by_name.status is JobStatus.deferred
    assert (by_task.name, by_task.args, by_task.queue_name) == (
        by_name.name,
        by_name.args,
        by_name.queue_name,
    )
    listed = await backend.queue.list_jobs("conformance:other")
    assert {job.id for job in listed} == {"by-task", "by-name"}


async def test_a_task_given_an_underscored_option_is_refused_and_nothing_stored(
    backend: Backend,
) -> None:
    before = await backend.stored_keys()
    call: Any = backend.queue.enqueue

    with pytest.raises(TypeError, match=r"through its options\(\)"):
        await call(multiply, 1, 2, _job_id="t-1")
    with pytest.raises(TypeError, match=r"through its options\(\)"):
        await call(multiply.options(job_id="t-2"), 1, 2, _defer_by=5)

    assert await backend.stored_keys() == before


async def test_bad_task_options_fail_as_the_underscored_ones_do(
    backend: Backend,
) -> None:
    with pytest.raises(ValueError, match=r"^_defer_by must not be negative") as named:
        await backend.queue.enqueue("multiply", 1, 2, _defer_by=-1)
    with pytest.raises(ValueError, match=r"^_defer_by must not be negative") as typed:
        await backend.queue.enqueue(multiply.options(defer_by=-1), 1, 2)

    assert str(typed.value) == str(named.value)
    assert await backend.stored_keys() == 0


async def test_enqueue_many_takes_jobs_made_by_a_task(backend: Backend) -> None:
    outcomes = await backend.queue.enqueue_many(
        [
            multiply.spec(1, 2),
            multiply.options(job_id="t-1", defer_by=60).spec(3, b=4),
            multiply.options(job_id="t-1").spec(5, 6),
            JobSpec("echo", ("by name",)),
        ]
    )

    first, second, duplicate, by_name = outcomes
    assert isinstance(first, JobMetadata)
    assert (first.name, first.args, first.kwargs) == ("multiply", (1, 2), {})
    assert isinstance(second, JobMetadata)
    assert (second.id, second.status, second.kwargs) == (
        "t-1",
        JobStatus.deferred,
        {"b": 4},
    )
    assert isinstance(duplicate, JobNotQueued)
    assert duplicate.job_id == "t-1"
    assert isinstance(by_name, JobMetadata)
    assert by_name.name == "echo"


async def test_a_jobs_metadata_and_a_queue_name_together_are_refused(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue(multiply, 1, 2)
    read: Any = backend.queue

    with pytest.raises(TypeError, match="not both"):
        await read.get_job_result(job, IDLE_QUEUE)
    with pytest.raises(TypeError, match="not both"):
        await read.wait_for_result(job, IDLE_QUEUE, timeout=1)
