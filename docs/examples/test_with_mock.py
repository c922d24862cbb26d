"""Testing the FastAPI app of fastapi_lifespan.py with the mock queue."""

from collections.abc import AsyncIterator

import pytest
from asgi_lifespan import LifespanManager
from fastapi_lifespan import app
from httpx import ASGITransport, AsyncClient

from queue_core import JobStatus, MockArqQueue
from queue_core.pytest_plugin import InstallMockArqQueue


@pytest.fixture
async def client(
    install_mock_arq_queue: InstallMockArqQueue,
) -> AsyncIterator[AsyncClient]:
    # The mock goes in before startup, so the app never connects to Redis.
    install_mock_arq_queue(app)
    async with LifespanManager(app) as manager:
        transport = ASGITransport(app=manager.app)
        async with AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_create_report_queues_a_job(
    client: AsyncClient, mock_arq_queue: MockArqQueue
) -> None:
    response = await client.post("/reports", params={"period": "2024-05"})

    assert response.status_code == 202
    [job] = mock_arq_queue.jobs(name="build_report")
    assert job.args == ("2024-05",)
    assert response.json() == {"job_id": job.id, "status": "queued"}


async def test_a_job_moves_along_as_the_test_says(
    client: AsyncClient, mock_arq_queue: MockArqQueue
) -> None:
    response = await client.post("/reports", params={"period": "2024-05"})
    job_id = response.json()["job_id"]

    # Jobs never run by themselves: play the worker's part.
    await mock_arq_queue.set_in_progress(job_id)
    assert (
        await mock_arq_queue.get_job_metadata(job_id)
    ).status == JobStatus.in_progress
    await mock_arq_queue.set_complete(job_id, result={"rows": 12})

    result = await mock_arq_queue.get_job_result(job_id)
    assert result.success
    assert result.result == {"rows": 12}
