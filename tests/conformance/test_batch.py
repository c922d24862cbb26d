"""Batch enqueue: one outcome per job, duplicates refused one by one."""

from __future__ import annotations

import pytest

from queue_core import JobMetadata, JobNotQueued, JobSpec, JobStatus
from tests.conformance.conftest import IDLE_QUEUE, WORK_QUEUE, Backend


async def test_a_batch_returns_each_jobs_metadata_in_order(backend: Backend) -> None:
    specs = [JobSpec("echo", (n,), {"n": n}) for n in range(20)]

    outcomes = await backend.queue.enqueue_many(specs)

    assert all(isinstance(o, JobMetadata) for o in outcomes)
    jobs = [o for o in outcomes if isinstance(o, JobMetadata)]
    assert [job.args for job in jobs] == [(n,) for n in range(20)]
    assert len({job.id for job in jobs}) == 20
    for job in jobs:
        assert await backend.queue.get_job_metadata(job.id) == job
    assert await backend.queue.queue_depth() == 20


async def test_a_batch_refuses_existing_and_repeated_ids_one_by_one(
    backend: Backend,
) -> None:
    await backend.queue.enqueue("echo", "old", _job_id="taken")

    outcomes = await backend.queue.enqueue_many(
        [
            JobSpec("echo", ("new",), job_id="taken"),
            JobSpec("echo", (1,), job_id="fresh"),
            JobSpec("echo", (2,), job_id="fresh"),
        ]
    )

    assert isinstance(outcomes[0], JobNotQueued)
    assert outcomes[0].job_id == "taken"
    assert isinstance(outcomes[1], JobMetadata)
    assert isinstance(outcomes[2], JobNotQueued)
    assert (await backend.queue.get_job_metadata("taken")).args == ("old",)
    assert (await backend.queue.get_job_metadata("fresh")).args == (1,)


async def test_a_batch_honours_each_jobs_options(backend: Backend) -> None:
    outcomes = await backend.queue.enqueue_many(
        [
            JobSpec("echo", (1,), queue_name="conformance:other"),
            JobSpec("echo", (2,), defer_by=60),
            JobSpec("echo", (3,)),
        ],
        queue_name="conformance:batch",
    )

    jobs = [o for o in outcomes if isinstance(o, JobMetadata)]
    assert [(j.queue_name, j.status) for j in jobs] == [
        ("conformance:other", JobStatus.queued),
        ("conformance:batch", JobStatus.deferred),
        ("conformance:batch", JobStatus.queued),
    ]
    assert await backend.queue.queue_depth("conformance:batch") == 2
    assert await backend.queue.queue_depth(IDLE_QUEUE) == 0


async def test_a_batch_is_enqueued_at_one_time_whatever_its_jobs_options(
    backend: Backend,
) -> None:
    # Planning a few thousand jobs spans several milliseconds: each job's
    # options must not make it read the clock again.
    specs = [
        JobSpec("echo", (n,), defer_by=60)
        if n % 3 == 0
        else JobSpec("echo", (n,), expires=600)
        if n % 3 == 1
        else JobSpec("echo", (n,))
        for n in range(3000)
    ]

    outcomes = await backend.queue.enqueue_many(specs)

    jobs = [o for o in outcomes if isinstance(o, JobMetadata)]
    assert len(jobs) == 3000
    assert len({job.enqueue_time for job in jobs}) == 1
    assert [job.status for job in jobs[:3]] == [
        JobStatus.deferred,
        JobStatus.queued,
        JobStatus.queued,
    ]


async def test_a_batch_with_one_bad_job_writes_nothing(backend: Backend) -> None:
    keys_before = await backend.stored_keys()

    with pytest.raises(ValueError, match="_defer_by must not be negative"):
        await backend.queue.enqueue_many(
            [JobSpec("echo", (1,)), JobSpec("echo", (2,), defer_by=-1)]
        )

    assert await backend.stored_keys() == keys_before


async def test_batched_jobs_are_run_by_a_worker(backend: Backend) -> None:
    await backend.start_worker()
    outcomes = await backend.queue.enqueue_many(
        [JobSpec("add", (n, n)) for n in range(5)], queue_name=WORK_QUEUE
    )

    results = [
        await backend.finished(o.id) for o in outcomes if isinstance(o, JobMetadata)
    ]

    assert [r.result for r in results] == [0, 2, 4, 6, 8]


async def test_an_empty_batch_returns_no_outcomes(backend: Backend) -> None:
    assert await backend.queue.enqueue_many([]) == []


async def test_a_batch_job_with_an_empty_queue_name_is_refused(
    backend: Backend,
) -> None:
    with pytest.raises(ValueError, match="queue_name must not be empty"):
        await backend.queue.enqueue_many([JobSpec("echo", (1,), queue_name="")])

    assert await backend.stored_keys() == 0


async def test_a_batch_refuses_a_repeated_id_even_with_the_same_arguments(
    backend: Backend,
) -> None:
    outcomes = await backend.queue.enqueue_many(
        [JobSpec("echo", (1,), job_id="twin"), JobSpec("echo", (1,), job_id="twin")]
    )

    assert isinstance(outcomes[0], JobMetadata)
    assert isinstance(outcomes[1], JobNotQueued)
    assert await backend.queue.queue_depth() == 1
