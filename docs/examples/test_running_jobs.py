"""Running the app's jobs in a test: the mock, and the worker's own settings."""

from datetime import timedelta

from asgi_lifespan import LifespanManager
from fastapi_lifespan import app
from httpx import ASGITransport, AsyncClient
from worker_settings import WorkerSettings

from queue_core import JobStatus, MockArqQueue
from queue_core.pytest_plugin import InstallMockArqQueue, RunArqJobs


async def test_a_queued_report_is_built_by_the_real_job(
    install_mock_arq_queue: InstallMockArqQueue, run_arq_jobs: RunArqJobs
) -> None:
    mock = install_mock_arq_queue(app)
    async with (
        LifespanManager(app) as manager,
        AsyncClient(transport=ASGITransport(manager.app), base_url="http://t") as http,
    ):
        response = await http.post("/reports", params={"period": "2024-05"})
    job_id = response.json()["job_id"]

    # build_report runs here, between WorkerSettings' on_startup and on_shutdown.
    assert await run_arq_jobs(WorkerSettings) == 1

    result = await mock.get_job_result(job_id)
    assert result.success
    assert result.result["period"] == "2024-05"
    assert result.result["rendered_by"].startswith("render")  # on_startup's pool


async def test_a_deferred_job_runs_once_the_test_moves_time_on(
    mock_arq_queue: MockArqQueue, run_arq_jobs: RunArqJobs
) -> None:
    job = await mock_arq_queue.enqueue(
        "build_report", "2024-06", _defer_by=timedelta(hours=1)
    )

    assert await run_arq_jobs(WorkerSettings) == 0  # not due: it stays deferred
    assert (await mock_arq_queue.get_job_metadata(job.id)).status == JobStatus.deferred

    # Jobs due within the next 90 minutes run now, without any sleeping; the
    # clock moves on with them (a result kept an hour is gone two hours on).
    assert await run_arq_jobs(WorkerSettings, advance=timedelta(minutes=90)) == 1
    assert (await mock_arq_queue.get_job_result(job.id)).success
