"""Progress: what a job reports is read back alike from every executor.

Each test runs jobs of tests/progress_workers.py on the mock's ``run_jobs``,
in a real ``arq`` worker and in a real ``queue-core worker``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queue_core import (
    PROGRESS_KEY_PREFIX,
    PROGRESS_MESSAGE_LIMIT,
    JobMetadata,
    JobNotFound,
    JobProgress,
    JobStatus,
)
from tests import workers
from tests.conformance.conftest import EXECUTORS, Backend, Gate, until

pytestmark = pytest.mark.parametrize("backend", EXECUTORS, indirect=True)

RUN = workers.RUN_QUEUE
SETTINGS = "tests.progress_workers.ProgressSettings"


def _reported(job: JobMetadata) -> bool:
    return job.progress is not None and job.progress.message != "finished"


async def test_a_running_jobs_progress_is_read_with_its_metadata_and_listing(
    backend: Backend, gate: Gate
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    job = await backend.queue.enqueue(
        "report_then_wait", gate.path, 1, 4, "step one", _queue_name=RUN
    )

    async with backend.running(SETTINGS):
        running = await until(
            lambda: backend.queue.get_job_metadata(job.id, RUN), _reported
        )
        listed = await backend.queue.list_jobs(RUN)
        gate.open()

    assert running.status is JobStatus.in_progress
    progress = running.progress
    assert isinstance(progress, JobProgress)
    assert (progress.done, progress.total, progress.message) == (1, 4, "step one")
    assert progress.fraction == 0.25
    assert before <= progress.updated_at <= datetime.now(UTC)
    assert [found.progress for found in listed if found.id == job.id] == [progress]


async def test_a_finished_job_keeps_its_last_progress_beside_its_result(
    backend: Backend, gate: Gate
) -> None:
    gate.open()
    job = await backend.queue.enqueue(
        "report_then_wait", gate.path, 3, 10, "working", _queue_name=RUN
    )

    await backend.run(SETTINGS)

    result = await backend.queue.get_job_result(job.id, RUN)
    metadata = await backend.queue.get_job_metadata(job.id, RUN)
    page = await backend.queue.list_results(RUN)
    assert result.result == "reported"
    assert result.progress is not None
    assert (result.progress.done, result.progress.total) == (10, 10)
    assert result.progress.message == "finished"
    assert result.progress.fraction == 1
    assert metadata.progress == result.progress
    assert [found.progress for found in page.results] == [result.progress]


async def test_a_long_progress_message_is_cut_to_the_documented_limit(
    backend: Backend,
) -> None:
    long = "x" * (PROGRESS_MESSAGE_LIMIT * 3)
    job = await backend.queue.enqueue("report", 7, None, long, _queue_name=RUN)

    await backend.run(SETTINGS)

    progress = (await backend.queue.get_job_metadata(job.id, RUN)).progress
    assert progress is not None
    assert progress.message == "x" * (PROGRESS_MESSAGE_LIMIT - 1) + "…"
    assert (progress.done, progress.total, progress.fraction) == (7, None, None)


async def test_a_job_that_never_reports_has_no_progress(backend: Backend) -> None:
    job = await backend.queue.enqueue("echo", 1, _queue_name=RUN)

    assert (await backend.queue.get_job_metadata(job.id, RUN)).progress is None
    await backend.run(SETTINGS)

    assert (await backend.queue.get_job_result(job.id, RUN)).progress is None


async def test_progress_goes_with_a_job_whose_result_is_not_kept(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("report_forgotten", 1, 1, "done", _queue_name=RUN)

    await backend.run(SETTINGS)

    with pytest.raises(JobNotFound):
        await backend.queue.get_job_metadata(job.id, RUN)
    if backend.redis is not None:
        # Gone with the job (queue-core's worker), or left to expire with
        # the job's key (arq's, which knows nothing of it): never kept.
        ttl = await backend.redis.pttl(PROGRESS_KEY_PREFIX + job.id)
        assert ttl == -2 or ttl > 0


async def test_a_job_run_again_later_keeps_its_progress_out_of_listings(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("report_then_retry", _queue_name=RUN)

    await backend.run(SETTINGS)

    deferred = await backend.queue.get_job_metadata(job.id, RUN)
    (listed,) = await backend.queue.list_jobs(RUN)
    assert deferred.status is JobStatus.deferred
    assert deferred.progress is not None
    assert deferred.progress.message == "first try"
    assert (listed.id, listed.status, listed.progress) == (
        job.id,
        JobStatus.deferred,
        None,
    )
