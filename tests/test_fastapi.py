"""The FastAPI shim, through httpx's ASGI transport and asgi-lifespan."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pytest
from arq.connections import RedisSettings
from fastapi import Depends, FastAPI, HTTPException, Request, Response
from httpx import AsyncClient

from queue_core import (
    ArqMode,
    ArqQueue,
    EmbeddedArqQueue,
    JobNotFound,
    JobResultUnavailable,
    MockArqQueue,
    RedisArqQueue,
    WorkerSettings,
)
from queue_core.pytest_plugin import InstallMockArqQueue
from queue_fastapi import (
    ArqDependency,
    ArqQueueDep,
    arq_dependency,
    arq_lifespan,
    get_arq_queue,
)
from tests import workers
from tests.conftest import WorkerProcess, asgi_client


def make_app(lifespan: Callable[[FastAPI], Any] | None = None) -> FastAPI:
    """An app whose handlers get the app's queue through ``ArqQueueDep``."""
    app = FastAPI(lifespan=lifespan)

    @app.post("/jobs", status_code=202)
    async def post_job(
        arq_queue: ArqQueueDep,
        task: str,
        args: list[Any],
        queue_name: str | None = None,
    ) -> dict[str, Any]:
        job = await arq_queue.enqueue(task, *args, _queue_name=queue_name)
        return {"job_id": job.id, "status": job.status}

    @app.get("/greeting")
    async def get_greeting(request: Request) -> dict[str, str]:
        return {"greeting": request.state.greeting}

    @app.get("/jobs/{job_id}")
    async def get_job(
        arq_queue: ArqQueueDep, job_id: str, queue_name: str | None = None
    ) -> dict[str, Any]:
        try:
            job = await arq_queue.get_job_metadata(job_id, queue_name)
        except JobNotFound as exc:
            raise HTTPException(status_code=404) from exc
        return {"id": job.id, "name": job.name, "status": job.status}

    @app.get("/jobs/{job_id}/result")
    async def get_result(
        arq_queue: ArqQueueDep, job_id: str, queue_name: str | None = None
    ) -> dict[str, Any]:
        try:
            result = await arq_queue.get_job_result(job_id, queue_name)
        except JobNotFound as exc:
            raise HTTPException(status_code=404) from exc
        except JobResultUnavailable as exc:
            raise HTTPException(status_code=409) from exc
        shown = result.result if result.success else type(result.result).__name__
        return {"success": result.success, "result": shown}

    @app.delete("/jobs/{job_id}", status_code=204)
    async def delete_job(arq_queue: ArqQueueDep, job_id: str) -> Response:
        if not await arq_queue.abort_job(job_id):
            raise HTTPException(status_code=404)
        return Response(status_code=204)

    return app


def make_dependency_app(
    getter: Callable[..., Any], lifespan: Callable[[FastAPI], Any] | None = None
) -> FastAPI:
    """An app with one handler that gets the queue from ``Depends(getter)``."""
    app = FastAPI(lifespan=lifespan)

    @app.post("/jobs", status_code=202)
    async def post_job(
        arq_queue: Annotated[ArqQueue, Depends(getter)], task: str, args: list[Any]
    ) -> dict[str, Any]:
        job = await arq_queue.enqueue(task, *args)
        return {"job_id": job.id, "status": job.status}

    return app


async def post_job(client: AsyncClient, task: str, *args: Any, **params: Any) -> str:
    response = await client.post("/jobs", params={"task": task, **params}, json=args)
    assert response.status_code == 202
    job_id: str = response.json()["job_id"]
    return job_id


async def test_arq_queue_dep_gives_handlers_the_queue_the_lifespan_opened(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        job_id = await post_job(client, "echo", "hi")
        queued = await client.get(f"/jobs/{job_id}")
        await mock.set_in_progress(job_id)
        running = await client.get(f"/jobs/{job_id}")
        await mock.set_complete(job_id, result="hi")
        result = await client.get(f"/jobs/{job_id}/result")

    assert queued.json() == {"id": job_id, "name": "echo", "status": "queued"}
    assert running.json()["status"] == "in_progress"
    assert result.json() == {"success": True, "result": "hi"}


async def test_get_arq_queue_works_as_a_plain_dependency(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_dependency_app(get_arq_queue, arq_lifespan(mode=ArqMode.test))
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        job_id = await post_job(client, "noop")

    assert [job.id for job in mock.jobs()] == [job_id]


async def test_a_job_is_not_found_in_another_queue_or_by_an_unknown_id(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        job_id = await post_job(client, "sleep", 10, queue_name="slow")
        own_queue = await client.get(f"/jobs/{job_id}?queue_name=slow")
        default_queue = await client.get(f"/jobs/{job_id}")
        unknown_abort = await client.delete("/jobs/no-such-job")
        unknown_result = await client.get("/jobs/no-such-job/result")

    assert own_queue.json()["status"] == "queued"
    assert default_queue.status_code == 404
    assert unknown_abort.status_code == 404
    assert unknown_result.status_code == 404


async def test_aborting_a_queued_job_completes_it_as_cancelled(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        job_id = await post_job(client, "sleep", 10)
        aborted = await client.delete(f"/jobs/{job_id}")
        result = await client.get(f"/jobs/{job_id}/result")

    assert aborted.status_code == 204
    assert result.json() == {"success": False, "result": "CancelledError"}


async def test_the_apps_own_lifespan_state_reaches_handlers_beside_the_queue() -> None:
    @asynccontextmanager
    async def own_lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {"greeting": "hello"}

    app = make_app(arq_lifespan(mode=ArqMode.test, lifespan=own_lifespan))
    async with asgi_client(app) as client:
        greeting = await client.get("/greeting")
        posted = await client.post("/jobs", params={"task": "noop"}, json=[])

    assert greeting.json() == {"greeting": "hello"}
    assert posted.status_code == 202


async def test_embedded_mode_runs_a_job_to_completion_behind_fastapi() -> None:
    settings = WorkerSettings(functions=[workers.add], poll_delay=0.05)
    app = make_app(arq_lifespan(mode=ArqMode.embedded, worker_settings=settings))
    async with asgi_client(app) as client:
        job_id = await post_job(client, "add", 2, 3)
        await app.state.arq_queue.wait_for_result(job_id, timeout=30)
        result = await client.get(f"/jobs/{job_id}/result")

    assert result.json() == {"success": True, "result": 5}


@pytest.mark.redis
@pytest.mark.worker
async def test_production_mode_runs_a_job_on_a_real_arq_worker(
    redis_settings: RedisSettings, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker()
    app = make_app(arq_lifespan(mode=ArqMode.production, redis_settings=redis_settings))
    async with asgi_client(app) as client:
        job_id = await post_job(client, "add", 2, 3)
        queue = app.state.arq_queue
        await queue.wait_for_result(job_id, timeout=30)
        result = await client.get(f"/jobs/{job_id}/result")

    assert isinstance(queue, RedisArqQueue)
    assert result.json() == {"success": True, "result": 5}


async def test_arq_queue_dep_without_the_lifespan_says_to_add_it() -> None:
    app = make_app()
    async with asgi_client(app) as client:
        with pytest.raises(RuntimeError, match="add arq_lifespan"):
            await client.post("/jobs", params={"task": "noop"}, json=[])


async def test_arq_dependency_serves_the_queue_it_was_initialized_with() -> None:
    dependency = ArqDependency()
    await dependency.initialize(mode=ArqMode.test)
    queue = await dependency()
    await dependency.aclose()

    assert isinstance(queue, MockArqQueue)


async def test_arq_dependency_is_not_usable_before_initialize_or_after_aclose() -> None:
    dependency = ArqDependency()
    with pytest.raises(RuntimeError, match=r"^ArqDependency is not initialized$"):
        await dependency()
    await dependency.initialize(mode=ArqMode.test)
    await dependency.aclose()
    with pytest.raises(RuntimeError, match=r"^ArqDependency is not initialized$"):
        await dependency()


async def test_initializing_again_closes_the_previous_queue() -> None:
    dependency = ArqDependency()
    await dependency.initialize(mode=ArqMode.embedded)
    first = await dependency()
    await dependency.initialize(mode=ArqMode.test)
    second = await dependency()
    await dependency.aclose()

    assert isinstance(first, EmbeddedArqQueue)
    assert not first.server.running
    assert isinstance(second, MockArqQueue)


async def test_arq_dependency_in_production_needs_redis_settings() -> None:
    dependency = ArqDependency()
    with pytest.raises(RuntimeError, match="redis_settings argument must be set"):
        await dependency.initialize(mode=ArqMode.production, redis_settings=None)
    with pytest.raises(RuntimeError, match="not initialized"):
        await dependency()


@pytest.mark.redis
async def test_arq_dependency_in_production_enqueues_on_the_real_redis(
    redis_settings: RedisSettings, redis_queue: RedisArqQueue
) -> None:
    dependency = ArqDependency()
    await dependency.initialize(mode="production", redis_settings=redis_settings)
    app = make_dependency_app(dependency)
    try:
        async with asgi_client(app) as client:
            job_id = await post_job(client, "echo", "hi")
    finally:
        await dependency.aclose()

    metadata = await redis_queue.get_job_metadata(job_id)
    assert (metadata.name, metadata.args) == ("echo", ("hi",))


async def test_embedded_arq_dependency_runs_jobs_in_its_worker() -> None:
    dependency = ArqDependency()
    await dependency.initialize(
        mode=ArqMode.embedded,
        worker_settings=WorkerSettings(functions=[workers.add], poll_delay=0.05),
    )
    app = make_dependency_app(dependency)
    try:
        async with asgi_client(app) as client:
            job_id = await post_job(client, "add", 20, 22)
            queue = await dependency()
            result = await queue.wait_for_result(job_id, timeout=30)
    finally:
        await dependency.aclose()

    assert (result.success, result.result) == (True, 42)


def test_the_module_singleton_is_an_arq_dependency() -> None:
    assert isinstance(arq_dependency, ArqDependency)
