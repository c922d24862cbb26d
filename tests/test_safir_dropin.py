"""Safir's arq guide app and Noteburst-style test, with only imports changed.

The app and test read as safir users write them (``safir.arq`` became
``queue_core``, ``safir.dependencies.arq`` became ``queue_fastapi``).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from httpx import ASGITransport, AsyncClient
from pydantic import BaseModel

from queue_core import (
    ArqMode,
    ArqQueue,
    JobMetadata,
    JobNotFound,
    JobResult,
    JobResultUnavailable,
    JobStatus,
    MockArqQueue,
)
from queue_fastapi import arq_dependency


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:  # noqa: ARG001
    await arq_dependency.initialize(mode=ArqMode.test, redis_settings=None)
    yield
    await arq_dependency.aclose()


app = FastAPI(lifespan=lifespan)


@app.post("/jobs")
async def post_job(
    arq_queue: Annotated[ArqQueue, Depends(arq_dependency)],
    a: str = "hello",
    b: int = 42,
) -> dict[str, Any]:
    """Create a job."""
    job = await arq_queue.enqueue("test_task", a, a_number=b)
    return {"job_id": job.id}


@app.get("/jobs/{job_id}")
async def get_job(
    job_id: str,
    arq_queue: Annotated[ArqQueue, Depends(arq_dependency)],
    queue_name: str | None = None,
) -> dict[str, Any]:
    """Get metadata about a job."""
    try:
        job = await arq_queue.get_job_metadata(job_id, queue_name=queue_name)
    except JobNotFound as exc:
        raise HTTPException(status_code=404) from exc

    response = {
        "id": job.id,
        "status": job.status,
        "name": job.name,
        "args": job.args,
        "kwargs": job.kwargs,
    }

    if job.status == JobStatus.complete:
        try:
            job_result = await arq_queue.get_job_result(job_id, queue_name=queue_name)
        except (JobNotFound, JobResultUnavailable) as exc:
            raise HTTPException(status_code=404) from exc
        response["result"] = job_result.result

    return response


@app.delete("/jobs/{job_id}", status_code=204)
async def delete_job(
    job_id: str,
    arq_queue: Annotated[ArqQueue, Depends(arq_dependency)],
) -> None:
    # This will only work if allow_abort_jobs is set to True in the worker
    # configuration.
    if not await arq_queue.abort_job(job_id):
        raise HTTPException(status_code=404)


class NotebookRequest(BaseModel):
    ipynb: str
    kernel_name: str = "LSST"


@app.post("/noteburst/v1/notebooks/", status_code=202)
async def post_nbexec(
    request_data: NotebookRequest,
    request: Request,
    response: Response,
    arq_queue: Annotated[ArqQueue, Depends(arq_dependency)],
) -> dict[str, Any]:
    job = await arq_queue.enqueue(
        "nbexec", ipynb=request_data.ipynb, kernel_name=request_data.kernel_name
    )
    response.headers["Location"] = str(request.url_for("get_nbexec", job_id=job.id))
    return {"job_id": job.id, "status": job.status}


@app.get("/noteburst/v1/notebooks/{job_id}")
async def get_nbexec(
    job_id: str, arq_queue: Annotated[ArqQueue, Depends(arq_dependency)]
) -> dict[str, Any]:
    try:
        job = await arq_queue.get_job_metadata(job_id)
    except JobNotFound as exc:
        raise HTTPException(status_code=404) from exc
    data: dict[str, Any] = {"job_id": job.id, "status": job.status}
    if job.status == JobStatus.complete:
        result = await arq_queue.get_job_result(job_id)
        data["success"] = result.success
        data["ipynb"] = result.result if result.success else None
    return data


@pytest.fixture
async def client() -> AsyncIterator[AsyncClient]:
    async with (
        LifespanManager(app),
        AsyncClient(
            transport=ASGITransport(app=app), base_url="https://example.com/"
        ) as client,
    ):
        yield client


@pytest.mark.asyncio
async def test_post_nbexec(client: AsyncClient) -> None:
    sample_ipynb = '{"cells": []}'
    sample_ipynb_executed = '{"cells": [], "executed": true}'
    arq_queue = await arq_dependency()
    assert isinstance(arq_queue, MockArqQueue)

    response = await client.post(
        "/noteburst/v1/notebooks/",
        json={
            "ipynb": sample_ipynb,
            "kernel_name": "LSST",
        },
    )
    assert response.status_code == 202
    data = response.json()
    assert data["status"] == "queued"
    job_url = response.headers["Location"]
    job_id = data["job_id"]

    # Toggle the job to in-progress; the status should update
    await arq_queue.set_in_progress(job_id)

    response = await client.get(job_url)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "in_progress"

    # Toggle the job to complete
    await arq_queue.set_complete(job_id, result=sample_ipynb_executed)

    response = await client.get(job_url)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "complete"
    assert data["success"] is True
    assert data["ipynb"] == sample_ipynb_executed


async def test_the_guides_job_endpoints_enqueue_and_report_results(
    client: AsyncClient,
) -> None:
    arq_queue = await arq_dependency()
    assert isinstance(arq_queue, MockArqQueue)

    response = await client.post("/jobs", params={"a": "hi", "b": 7})
    job_id = response.json()["job_id"]
    queued = (await client.get(f"/jobs/{job_id}")).json()
    await arq_queue.set_complete(job_id, result="done")
    complete = (await client.get(f"/jobs/{job_id}")).json()

    assert queued == {
        "id": job_id,
        "status": "queued",
        "name": "test_task",
        "args": ["hi"],
        "kwargs": {"a_number": 7},
    }
    assert (complete["status"], complete["result"]) == ("complete", "done")


async def test_the_guides_abort_and_not_found_paths(client: AsyncClient) -> None:
    job_id = (await client.post("/jobs")).json()["job_id"]

    aborted = await client.delete(f"/jobs/{job_id}")
    wrong_queue = await client.get(f"/jobs/{job_id}", params={"queue_name": "other"})
    unknown = await client.get("/jobs/no-such-job")
    unknown_abort = await client.delete("/jobs/no-such-job")

    assert aborted.status_code == 204
    assert wrong_queue.status_code == 404
    assert unknown.status_code == 404
    assert unknown_abort.status_code == 404


async def test_the_dependency_is_closed_when_the_app_shuts_down() -> None:
    async with LifespanManager(app):
        assert isinstance(await arq_dependency(), MockArqQueue)

    with pytest.raises(RuntimeError, match="ArqDependency is not initialized"):
        await arq_dependency()


# Helpers as real services' test suites write them against safir's mock,
# reading its private dicts (safir offers no public way to list jobs).


def jobs_named(mock: MockArqQueue, name: str) -> list[JobMetadata]:
    return [
        job
        for queue_jobs in mock._job_metadata.values()
        for job in queue_jobs.values()
        if job.name == name
    ]


def queue_job_ids(mock: MockArqQueue, queue_name: str) -> list[str]:
    return list(mock._job_metadata.get(queue_name, {}).keys())


def result_of(mock: MockArqQueue, queue_name: str, job_id: str) -> JobResult:
    return mock._job_results[queue_name][job_id]


async def test_safir_style_helpers_read_jobs_through_the_mocks_private_dicts() -> None:
    mock = MockArqQueue()
    mock._job_metadata.setdefault("reports", {})
    first = await mock.enqueue("build_report", "2026-11")
    second = await mock.enqueue("build_report", "2026-12", _queue_name="reports")
    other = await mock.enqueue("send_mail", "ops@example.org")

    assert sorted(job.id for job in jobs_named(mock, "build_report")) == sorted(
        [first.id, second.id]
    )
    assert queue_job_ids(mock, "arq:queue") == [first.id, other.id]
    assert queue_job_ids(mock, "reports") == [second.id]
    assert queue_job_ids(mock, "never-used") == []
    assert mock._job_metadata["reports"][second.id].args == ("2026-12",)
    assert mock._job_results.get("reports") == {}

    await mock.set_in_progress(second.id, "reports")
    await mock.set_complete(second.id, result="done", queue_name="reports")
    assert result_of(mock, "reports", second.id).result == "done"
    assert mock._job_metadata["reports"][second.id].status is JobStatus.complete
    assert list(mock._job_results["arq:queue"]) == []


async def test_the_private_dicts_follow_the_mock_as_it_changes() -> None:
    mock = MockArqQueue()
    pending = mock._job_metadata.setdefault("later", {})
    assert list(mock._job_metadata.keys()) == ["arq:queue", "later"]
    assert len(pending) == 0
    job = await mock.enqueue("echo", 1, _queue_name="later")
    assert list(pending) == [job.id]
    assert job.id in mock._job_metadata["later"]

    await mock.enqueue("echo", 2, _queue_name="elsewhere")
    assert list(mock._job_metadata) == ["arq:queue", "later", "elsewhere"]
    assert list(mock._job_results) == ["arq:queue", "later", "elsewhere"]
    with pytest.raises(KeyError):
        mock._job_metadata["no-such-queue"]
    assert mock._job_metadata.get("no-such-queue") is None


async def test_the_private_dicts_refuse_writes_that_would_not_be_jobs() -> None:
    mock = MockArqQueue()
    with pytest.raises(TypeError, match="read-only"):
        mock._job_metadata.setdefault("q", {"id": "not a job"})
    assert "q" not in mock._job_metadata
