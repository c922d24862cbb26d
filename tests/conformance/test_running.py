"""Running jobs: three executors of the same settings must agree.

Each test runs the same worker settings (from tests/workers.py) three ways:
on the mock through ``run_jobs``, and on Redis in a real ``arq`` process and
in a real ``queue-core worker`` process, and asserts what a caller of the
queue, and the settings' hooks, can observe.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from arq.utils import to_unix_ms
from arq.worker import JobExecutionFailed

from queue_core import JobNotFound, JobStatus
from tests import workers
from tests.conformance.conftest import WAIT, Backend, backend_for

RUN = workers.RUN_QUEUE


@pytest.fixture(params=["mock", "arq", "queue-core"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    """Each test runs on the mock's run_jobs, arq's worker and queue-core's."""
    async with backend_for(request, tmp_path_factory, request.param) as made:
        yield made


@pytest.fixture(autouse=True)
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh file for the hooks to write to, named in the environment
    (which real workers inherit)."""
    path = tmp_path / "journal.txt"
    path.touch()
    monkeypatch.setenv(workers.JOURNAL_ENV, str(path))
    return path


async def _until_in_progress(backend: Backend, job_id: str) -> None:
    async with asyncio.timeout(WAIT):
        while (
            await backend.queue.get_job_metadata(job_id, RUN)
        ).status is not JobStatus.in_progress:
            await asyncio.sleep(0.01)


async def test_a_run_passes_ctx_with_the_job_fields_startup_state_and_settings_ctx(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("read_ctx", _queue_name=RUN)

    await backend.run("RunSettings")

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is True
    assert result.result == {
        "job_id": job.id,
        "job_try": 1,
        "enqueue_time": job.enqueue_time,
        "score": to_unix_ms(job.enqueue_time),
        "started_by": "on_startup",
        "greeting": "from the settings",
        "has_redis": True,
    }


async def test_a_run_calls_the_job_hooks_around_each_job_between_startup_and_shutdown(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo", 1, _queue_name=RUN)

    await backend.run("RunSettings")

    assert workers.read_journal() == [
        "startup -",
        f"job_start {job.id}",
        f"job_end {job.id}",
        f"after_job_end {job.id}",
        "shutdown -",
    ]
    assert (await backend.queue.get_job_result(job.id, RUN)).result == 1


async def test_an_on_startup_that_raises_fails_the_run_and_on_shutdown_still_runs(
    backend: Backend,
) -> None:
    said = await backend.failed_run("FailingStartupSettings")

    assert "the database is down" in said
    assert workers.read_journal() == ["startup -", "shutdown -"]


async def test_a_run_takes_jobs_in_score_order(backend: Backend) -> None:
    now = datetime.now().astimezone()
    late = await backend.queue.enqueue(
        "echo", "late", _queue_name=RUN, _defer_until=now - timedelta(seconds=1)
    )
    first = await backend.queue.enqueue(
        "echo", "first", _queue_name=RUN, _defer_until=now - timedelta(seconds=3)
    )
    middle = await backend.queue.enqueue(
        "echo", "middle", _queue_name=RUN, _defer_until=now - timedelta(seconds=2)
    )

    await backend.run("OneAtATimeSettings")

    assert workers.read_journal() == [
        f"job_start {first.id}",
        f"job_start {middle.id}",
        f"job_start {late.id}",
    ]


async def test_a_job_of_an_unregistered_function_fails_with_arqs_message(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("no_such_task", 1, _queue_name=RUN)

    await backend.run("RunSettings")

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is False
    assert result.result == JobExecutionFailed("function 'no_such_task' not found")
    assert f"job_start {job.id}" not in workers.read_journal()


async def test_an_exception_in_a_job_becomes_its_failed_result(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("fail", "boom", _queue_name=RUN)

    await backend.run("RunSettings")

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is False
    assert isinstance(result.result, workers.TaskFailedError)
    assert str(result.result) == "boom"


async def test_retry_defers_the_job_which_runs_again_once_due_with_the_next_try(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("retry_once", 2.0, _queue_name=RUN)

    await backend.run("RunSettings")

    deferred = await backend.queue.get_job_metadata(job.id, RUN)
    assert deferred.status is JobStatus.deferred

    await backend.run("RunSettings", advance=timedelta(seconds=10))

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is True
    assert result.result == 2


async def test_retrying_past_max_tries_fails_with_arqs_message(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("retry_at_most_twice", _queue_name=RUN)

    await backend.run("RunSettings")

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is False
    assert result.result == JobExecutionFailed("max 2 retries exceeded")
    assert workers.read_journal().count(f"job_start {job.id}") == 2


async def test_a_job_over_its_function_timeout_fails_with_a_timeout_error(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("sleep_briefly", 30, _queue_name=RUN)

    await backend.run("RunSettings")

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is False
    assert isinstance(result.result, asyncio.TimeoutError)


async def test_a_job_over_the_worker_timeout_fails_with_a_timeout_error(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("sleep", 30, _queue_name=RUN)

    await backend.run("OneAtATimeSettings")

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is False
    assert isinstance(result.result, asyncio.TimeoutError)


async def test_a_function_that_keeps_no_result_leaves_no_job_behind(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo_forgotten", 1, _queue_name=RUN)

    await backend.run("RunSettings")

    with pytest.raises(JobNotFound):
        await backend.queue.get_job_metadata(job.id, RUN)
    assert await backend.queue.queue_depth(RUN) == 0


async def test_keep_result_forever_wins_over_keep_result_zero(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo_kept_forever", 1, _queue_name=RUN)

    await backend.run("RunSettings")

    assert (await backend.queue.get_job_result(job.id, RUN)).result == 1


async def test_a_kept_result_is_gone_with_everything_of_its_job_once_keep_result_ends(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo_briefly_kept", 1, _queue_name=RUN)
    async with backend.running("RunSettings"):
        result = await backend.queue.wait_for_result(
            job.id, RUN, timeout=WAIT, poll_interval=0.02
        )
        listed = (await backend.queue.list_results(RUN)).results
    kept_until = result.finish_time + timedelta(seconds=workers.BRIEFLY_KEPT_S)
    await asyncio.sleep((kept_until - datetime.now(UTC)).total_seconds() + 0.3)

    assert result.result == 1
    assert [found.id for found in listed] == [job.id]
    with pytest.raises(JobNotFound):
        await backend.queue.get_job_metadata(job.id, RUN)
    assert (await backend.queue.list_results(RUN)).results == []
    again = await backend.queue.enqueue("echo", 2, _queue_name=RUN, _job_id=job.id)
    assert again.id == job.id


@pytest.mark.parametrize("task", ["echo", "fail", "no_such_task"])
async def test_a_worker_that_keeps_no_results_keeps_no_failure_either(
    backend: Backend, task: str
) -> None:
    job = await backend.queue.enqueue(task, "x", _queue_name=RUN)

    await backend.run("ForgetfulSettings")

    with pytest.raises(JobNotFound):
        await backend.queue.get_job_metadata(job.id, RUN)


async def test_a_deferred_job_stays_queued_until_a_run_reaches_its_time(
    backend: Backend,
) -> None:
    # Long enough for a real worker to start and stop before it is due.
    job = await backend.queue.enqueue("echo", 1, _queue_name=RUN, _defer_by=4)

    await backend.run("RunSettings")

    assert (await backend.queue.get_job_metadata(job.id, RUN)).status is (
        JobStatus.deferred
    )

    await backend.run("RunSettings", advance=10)

    assert (await backend.queue.get_job_result(job.id, RUN)).result == 1


async def test_an_expired_job_reads_as_gone_and_fails_as_expired_when_taken(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo", 1, _queue_name=RUN, _expires=0.1)
    await asyncio.sleep(0.3)

    with pytest.raises(JobNotFound):
        await backend.queue.get_job_metadata(job.id, RUN)
    assert await backend.queue.list_jobs(RUN) == []
    assert await backend.queue.queue_depth(RUN) == 1

    await backend.run("RunSettings")

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is False
    assert result.result == JobExecutionFailed("job expired")
    assert result.name == "<unknown>"
    assert await backend.queue.queue_depth(RUN) == 0


async def test_aborting_a_job_a_run_is_running_cancels_it(backend: Backend) -> None:
    job = await backend.queue.enqueue("sleep", 30, _queue_name=RUN)

    async with backend.running("RunSettings"):
        await _until_in_progress(backend, job.id)
        assert await backend.queue.abort_job(job.id, RUN, timeout=WAIT) is True

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is False
    assert isinstance(result.result, asyncio.CancelledError)


async def test_a_worker_not_allowing_aborts_finishes_the_job_it_was_asked_to_abort(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("sleep", 0.3, _queue_name=RUN)

    async with backend.running("OneAtATimeSettings"):
        await _until_in_progress(backend, job.id)
        assert await backend.queue.abort_job(job.id, RUN, timeout=WAIT) is False

    result = await backend.queue.get_job_result(job.id, RUN)
    assert result.success is True
    assert result.result == 0.3


async def test_aborting_a_deferred_job_while_a_run_serves_its_queue_ends_it_unstarted(
    backend: Backend,
) -> None:
    busy = await backend.queue.enqueue("sleep", 0.5, _queue_name=RUN)
    deferred = await backend.queue.enqueue("echo", 1, _queue_name=RUN, _defer_by=600)

    async with backend.running("RunSettings"):
        await _until_in_progress(backend, busy.id)
        assert await backend.queue.abort_job(deferred.id, RUN, timeout=WAIT) is True

    result = await backend.queue.get_job_result(deferred.id, RUN)
    assert result.success is False
    assert isinstance(result.result, asyncio.CancelledError)
    assert f"job_start {deferred.id}" not in workers.read_journal()
    assert (await backend.queue.get_job_result(busy.id, RUN)).result == 0.5


async def test_an_abort_asked_before_a_run_ends_the_job_unstarted(
    backend: Backend,
) -> None:
    job = await backend.queue.enqueue("echo", 1, _queue_name=RUN)
    aborting = asyncio.create_task(backend.queue.abort_job(job.id, RUN, timeout=WAIT))
    await asyncio.sleep(0.1)

    await backend.run("RunSettings")

    assert await aborting is True
    result = await backend.queue.get_job_result(job.id, RUN)
    assert isinstance(result.result, asyncio.CancelledError)
    assert f"job_start {job.id}" not in workers.read_journal()
