"""Progress, failures and retries in a test, on the mock's run_jobs."""

from progress_tasks import WorkerSettings

from queue_core import MockArqQueue
from queue_core.pytest_plugin import RunArqJobs


async def test_a_job_reports_how_far_it_is(
    mock_arq_queue: MockArqQueue, run_arq_jobs: RunArqJobs
) -> None:
    job = await mock_arq_queue.enqueue("resize_images", ["a.png", "b.png"])

    await run_arq_jobs(WorkerSettings)

    progress = (await mock_arq_queue.get_job_metadata(job.id)).progress
    assert progress is not None
    assert (progress.done, progress.total, progress.fraction) == (2, 2, 1.0)
    assert str(progress) == "2 of 2 (100%): done"


async def test_a_failed_job_says_why_and_runs_again_when_retried(
    mock_arq_queue: MockArqQueue, run_arq_jobs: RunArqJobs
) -> None:
    job = await mock_arq_queue.enqueue("upload", "a.png")
    await run_arq_jobs(WorkerSettings)
    failed = await mock_arq_queue.get_job_result(job.id)
    assert failed.traceback is not None
    assert failed.traceback.endswith("ConnectionError: the storage refused a.png")

    again = await mock_arq_queue.retry_job(job.id)  # a new job: same task, arguments
    await run_arq_jobs(WorkerSettings)

    assert (again.name, again.args) == ("upload", ("a.png",))
    assert (await mock_arq_queue.get_job_result(again.id)).success is False
    assert (await mock_arq_queue.get_job_result(job.id)).finish_time == (
        failed.finish_time
    )
