"""Retrying a finished job by hand: a new job, the old result untouched.

Run with the mock's ``run_jobs``, a real ``arq`` worker and a real
``queue-core worker``.
"""

from __future__ import annotations

import pytest

from queue_core import JobNotFound, JobResultUnavailable, JobStatus
from tests import workers
from tests.conformance.conftest import EXECUTORS, IDLE_QUEUE, Backend

pytestmark = pytest.mark.parametrize("backend", EXECUTORS, indirect=True)

RUN = workers.RUN_QUEUE
SETTINGS = "tests.progress_workers.ProgressSettings"


async def test_retrying_a_failed_job_runs_its_task_again_as_a_new_job(
    backend: Backend,
) -> None:
    failed = await backend.queue.enqueue("fail", "boom", _queue_name=RUN)
    await backend.run(SETTINGS)

    retry = await backend.queue.retry_job(failed.id, RUN)

    assert retry.id != failed.id
    assert (retry.name, retry.args, retry.kwargs) == ("fail", ("boom",), {})
    assert (retry.queue_name, retry.status) == (RUN, JobStatus.queued)
    assert retry == await backend.queue.get_job_metadata(retry.id, RUN)
    old = await backend.queue.get_job_result(failed.id, RUN)
    assert old.success is False
    assert isinstance(old.result, workers.TaskFailedError)
    await backend.run(SETTINGS)
    again = await backend.queue.get_job_result(retry.id, RUN)
    assert (again.success, str(again.result)) == (False, "boom")
    assert (await backend.queue.get_job_result(failed.id, RUN)).finish_time == (
        old.finish_time
    )


async def test_retrying_keeps_the_jobs_arguments_and_keyword_arguments(
    backend: Backend,
) -> None:
    done = await backend.queue.enqueue(
        "echo", 1, [2, 3], _queue_name=RUN, label="again"
    )
    await backend.run(SETTINGS)

    retry = await backend.queue.retry_job(done.id, RUN)
    await backend.run(SETTINGS)

    result = await backend.queue.get_job_result(retry.id, RUN)
    assert retry.kwargs == {"label": "again"}
    assert result.result == {"args": [1, [2, 3]], "kwargs": {"label": "again"}}
    assert (await backend.queue.get_job_result(done.id, RUN)).result == (result.result)


async def test_retrying_an_unfinished_job_is_refused(backend: Backend) -> None:
    queued = await backend.queue.enqueue("echo", 1)

    with pytest.raises(JobResultUnavailable):
        await backend.queue.retry_job(queued.id)

    assert await backend.queue.list_jobs(IDLE_QUEUE) == [queued]


async def test_retrying_an_unknown_job_is_refused(backend: Backend) -> None:
    with pytest.raises(JobNotFound):
        await backend.queue.retry_job("no-such-job")
    with pytest.raises(JobNotFound):
        await backend.queue.retry_job("no-such-job", RUN)
