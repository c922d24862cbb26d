"""What only the FastAPI shim does: its dependencies, safir's included.

What all three shims do alike is in tests/shims/test_contract.py.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import pytest
from arq.connections import RedisSettings
from fastapi import Depends, FastAPI, Request

from queue_core import (
    ArqMode,
    ArqQueue,
    EmbeddedArqQueue,
    MockArqQueue,
    RedisArqQueue,
    WorkerSettings,
)
from queue_core.pytest_plugin import InstallMockArqQueue
from queue_fastapi import ArqDependency, arq_dependency, arq_lifespan, get_arq_queue
from tests import workers
from tests.conftest import asgi_client
from tests.shims.apps import fastapi_app, post_job


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


async def test_get_arq_queue_works_as_a_plain_dependency(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_dependency_app(get_arq_queue, arq_lifespan(mode=ArqMode.test))
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        job_id = await post_job(client, "noop")

    assert [job.id for job in mock.jobs()] == [job_id]


async def test_the_apps_own_lifespan_state_reaches_handlers_beside_the_queue() -> None:
    @asynccontextmanager
    async def own_lifespan(_app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {"greeting": "hello"}

    app = fastapi_app(arq_lifespan(mode=ArqMode.test, lifespan=own_lifespan))

    @app.get("/greeting")
    async def get_greeting(request: Request) -> dict[str, str]:
        return {"greeting": request.state.greeting}

    async with asgi_client(app) as client:
        greeting = await client.get("/greeting")
        job_id = await post_job(client, "noop")
        metadata = await client.get(f"/jobs/{job_id}")

    assert greeting.json() == {"greeting": "hello"}
    assert metadata.json()["status"] == "queued"


async def test_arq_queue_dep_without_the_lifespan_says_to_add_it() -> None:
    app = fastapi_app(lifespan=None)
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
