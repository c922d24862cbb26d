"""Testing typed tasks: call them as functions, enqueue them on the mock."""

from typed_tasks import Report, build_report, send_report, worker_settings

from queue_core import MockArqQueue
from queue_core.pytest_plugin import RunArqJobs


async def test_build_report_builds_the_months_report() -> None:
    # A task is still its function: a unit test passes a ctx of its own.
    assert await build_report({}, "2026-11", pages=3) == Report("2026-11", 3)


async def test_a_report_job_is_queued_and_its_result_is_typed(
    mock_arq_queue: MockArqQueue,
) -> None:
    job = await mock_arq_queue.enqueue(build_report, "2026-11")
    [queued] = mock_arq_queue.jobs(name="build_report")
    assert queued.args == ("2026-11",)

    await mock_arq_queue.set_complete(job.id, result=Report("2026-11", 1))
    result = await mock_arq_queue.get_job_result(job)  # a JobResult[Report]
    assert result.result.pages == 1


async def test_a_task_is_queued_under_its_registered_name(
    mock_arq_queue: MockArqQueue,
) -> None:
    job = await mock_arq_queue.enqueue(
        send_report.options(job_id="send-1"), "2026-11", to="ops@example.test"
    )
    assert (job.id, job.name) == ("send-1", "reports.send")


async def test_the_worker_settings_run_the_job_and_its_result_is_typed(
    mock_arq_queue: MockArqQueue, run_arq_jobs: RunArqJobs
) -> None:
    job = await mock_arq_queue.enqueue(build_report, "2026-11", pages=2)

    assert await run_arq_jobs(worker_settings) == 1  # as arq's worker runs it

    result = await mock_arq_queue.get_job_result(job)  # a JobResult[Report]
    assert result.result == Report("2026-11", 2)
