"""Why a job failed: the exception, and the traceback where the worker kept it.

queue-core's worker and the mock's ``run_jobs`` record the traceback with
the exception; arq's worker keeps the exception alone.
"""

from __future__ import annotations

import pytest

from tests import workers
from tests.conformance.conftest import EXECUTORS, Backend

pytestmark = pytest.mark.parametrize("backend", EXECUTORS, indirect=True)

RUN = workers.RUN_QUEUE
SETTINGS = "tests.progress_workers.ProgressSettings"


async def test_a_failed_jobs_traceback_is_read_where_the_worker_recorded_it(
    backend: Backend, request: pytest.FixtureRequest
) -> None:
    job = await backend.queue.enqueue("fail", "boom <b>", _queue_name=RUN)

    await backend.run(SETTINGS)

    result = await backend.queue.get_job_result(job.id, RUN)
    assert (type(result.result), str(result.result)) == (
        workers.TaskFailedError,
        "boom <b>",
    )
    if request.node.callspec.params["backend"] == "arq":
        assert result.traceback is None
        return
    assert result.traceback is not None
    assert result.traceback.startswith("Traceback (most recent call last):")
    assert "raise TaskFailedError(message)" in result.traceback
    assert result.traceback.endswith("tests.workers.TaskFailedError: boom <b>")


async def test_a_job_that_succeeded_has_no_traceback(backend: Backend) -> None:
    job = await backend.queue.enqueue("echo", 1, _queue_name=RUN)

    await backend.run(SETTINGS)

    assert (await backend.queue.get_job_result(job.id, RUN)).traceback is None
