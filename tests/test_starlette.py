"""The Starlette shim, through httpx's ASGI transport and asgi-lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from arq.connections import RedisSettings
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Lifespan

from queue_core import (
    ArqMode,
    EmbeddedArqQueue,
    JobNotFound,
    JobResultUnavailable,
    MockArqQueue,
    RedisArqQueue,
    WorkerSettings,
)
from queue_core.pytest_plugin import InstallMockArqQueue
from queue_starlette import arq_lifespan, get_arq_queue
from tests import workers
from tests.conftest import asgi_client


async def post_job(request: Request) -> JSONResponse:
    body = await request.json()
    job = await get_arq_queue(request).enqueue(
        body["task"],
        *body.get("args", []),
        _queue_name=request.query_params.get("queue_name"),
    )
    return JSONResponse({"job_id": job.id, "status": job.status}, status_code=202)


async def get_job(request: Request) -> JSONResponse:
    try:
        job = await get_arq_queue(request).get_job_metadata(
            request.path_params["job_id"], request.query_params.get("queue_name")
        )
    except JobNotFound:
        return JSONResponse({"detail": "no such job"}, status_code=404)
    return JSONResponse(
        {"id": job.id, "name": job.name, "args": list(job.args), "status": job.status}
    )


async def get_result(request: Request) -> JSONResponse:
    try:
        result = await get_arq_queue(request).get_job_result(
            request.path_params["job_id"], request.query_params.get("queue_name")
        )
    except JobNotFound:
        return JSONResponse({"detail": "no such job"}, status_code=404)
    except JobResultUnavailable:
        return JSONResponse({"detail": "not finished"}, status_code=409)
    shown = result.result if result.success else type(result.result).__name__
    return JSONResponse({"success": result.success, "result": shown})


async def delete_job(request: Request) -> Response:
    if await get_arq_queue(request).abort_job(request.path_params["job_id"]):
        return Response(status_code=204)
    return JSONResponse({"detail": "no such job"}, status_code=404)


async def get_state(request: Request) -> JSONResponse:
    return JSONResponse({"greeting": request.state.greeting})


def make_app(lifespan: Lifespan[Starlette] | None) -> Starlette:
    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/jobs", post_job, methods=["POST"]),
            Route("/jobs/{job_id}", get_job, methods=["GET"]),
            Route("/jobs/{job_id}", delete_job, methods=["DELETE"]),
            Route("/jobs/{job_id}/result", get_result, methods=["GET"]),
            Route("/greeting", get_state, methods=["GET"]),
        ],
    )


async def test_a_handler_enqueues_a_job_on_the_queue_the_lifespan_opened() -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    async with asgi_client(app) as client:
        response = await client.post("/jobs", json={"task": "add", "args": [2, 3]})
        queue = app.state.arq_queue
        assert isinstance(queue, MockArqQueue)
        (job,) = queue.jobs(name="add")

    assert response.status_code == 202
    assert response.json() == {"job_id": job.id, "status": "queued"}
    assert job.args == (2, 3)


async def test_the_lifespan_puts_the_queue_in_the_lifespan_state() -> None:
    lifespan = arq_lifespan(mode="test")
    app = make_app(lifespan)

    async with lifespan(app) as state:
        assert state == {"arq_queue": app.state.arq_queue}


async def test_the_queue_is_removed_from_app_state_at_shutdown() -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    async with asgi_client(app):
        assert isinstance(app.state.arq_queue, MockArqQueue)

    assert not hasattr(app.state, "arq_queue")


async def test_handlers_read_metadata_and_results_as_the_mock_moves_a_job_along(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        posted = await client.post("/jobs", json={"task": "echo", "args": ["hi"]})
        job_id = posted.json()["job_id"]
        queued = await client.get(f"/jobs/{job_id}")
        unfinished = await client.get(f"/jobs/{job_id}/result")
        await mock.set_in_progress(job_id)
        running = await client.get(f"/jobs/{job_id}")
        await mock.set_complete(job_id, result="hi")
        complete = await client.get(f"/jobs/{job_id}")
        result = await client.get(f"/jobs/{job_id}/result")

    assert queued.json() == {
        "id": job_id,
        "name": "echo",
        "args": ["hi"],
        "status": "queued",
    }
    assert unfinished.status_code == 409
    assert running.json()["status"] == "in_progress"
    assert complete.json()["status"] == "complete"
    assert result.json() == {"success": True, "result": "hi"}


async def test_aborting_a_queued_job_completes_it_as_cancelled(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        job_id = (await client.post("/jobs", json={"task": "noop"})).json()["job_id"]
        aborted = await client.delete(f"/jobs/{job_id}")
        result = await client.get(f"/jobs/{job_id}/result")
        again = await client.delete(f"/jobs/{job_id}")

    assert aborted.status_code == 204
    assert result.json() == {"success": False, "result": "CancelledError"}
    assert again.status_code == 404


async def test_an_unknown_id_or_another_queue_name_is_not_found(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        posted = await client.post("/jobs?queue_name=reports", json={"task": "noop"})
        job_id = posted.json()["job_id"]
        in_its_queue = await client.get(f"/jobs/{job_id}?queue_name=reports")
        in_default_queue = await client.get(f"/jobs/{job_id}")
        in_other_queue = await client.get(f"/jobs/{job_id}/result?queue_name=other")
        unknown = await client.get("/jobs/no-such-job")

    assert in_its_queue.status_code == 200
    assert in_default_queue.status_code == 404
    assert in_other_queue.status_code == 404
    assert unknown.status_code == 404


async def test_a_queue_already_on_app_state_is_used_and_left_open(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    # Production without Redis settings would fail to start: the mock wins.
    app = make_app(arq_lifespan(mode=ArqMode.production))
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        await client.post("/jobs", json={"task": "noop"})

    assert app.state.arq_queue is mock
    assert [job.name for job in mock.jobs()] == ["noop"]


async def test_handlers_fall_back_to_app_state_without_lifespan_state() -> None:
    app = make_app(arq_lifespan(mode=ArqMode.test))
    async with (
        LifespanManager(app),
        AsyncClient(
            transport=ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        response = await client.post("/jobs", json={"task": "noop"})
        jobs = app.state.arq_queue.jobs()

    assert response.json()["job_id"] == jobs[0].id


async def test_the_apps_own_lifespan_runs_inside_with_the_queue_open() -> None:
    seen_at_startup: list[str] = []

    @asynccontextmanager
    async def own_lifespan(app: Starlette) -> AsyncIterator[Mapping[str, Any]]:
        job = await app.state.arq_queue.enqueue("noop")
        seen_at_startup.append(job.id)
        yield {"greeting": "hello"}

    app = make_app(arq_lifespan(mode=ArqMode.test, lifespan=own_lifespan))
    async with asgi_client(app) as client:
        greeting = await client.get("/greeting")
        metadata = await client.get(f"/jobs/{seen_at_startup[0]}")

    assert greeting.json() == {"greeting": "hello"}
    assert metadata.json()["name"] == "noop"


async def test_an_own_lifespan_that_yields_nothing_composes_too() -> None:
    @asynccontextmanager
    async def own_lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.greeting = "set on app"
        yield

    app = make_app(arq_lifespan(mode=ArqMode.test, lifespan=own_lifespan))
    async with asgi_client(app) as client:
        response = await client.post("/jobs", json={"task": "noop"})

    assert response.status_code == 202
    assert app.state.greeting == "set on app"


async def test_the_queue_is_closed_when_the_apps_own_lifespan_fails() -> None:
    opened: list[EmbeddedArqQueue] = []

    @asynccontextmanager
    async def failing_lifespan(app: Starlette) -> AsyncIterator[None]:
        opened.append(app.state.arq_queue)
        if opened:
            msg = "the app's own startup failed"
            raise ValueError(msg)
        yield

    app = make_app(arq_lifespan(mode=ArqMode.embedded, lifespan=failing_lifespan))
    with pytest.raises(ValueError, match="own startup failed"):
        async with asgi_client(app):
            pass

    server = opened[0].server
    assert not server.running
    assert not server.directory.exists()
    assert not hasattr(app.state, "arq_queue")


async def test_embedded_mode_runs_jobs_in_an_in_process_worker() -> None:
    settings = WorkerSettings(functions=[workers.add], poll_delay=0.05)
    app = make_app(arq_lifespan(mode=ArqMode.embedded, worker_settings=settings))
    async with asgi_client(app) as client:
        posted = await client.post("/jobs", json={"task": "add", "args": [2, 3]})
        job_id = posted.json()["job_id"]
        queue = app.state.arq_queue
        await queue.wait_for_result(job_id, timeout=30)
        result = await client.get(f"/jobs/{job_id}/result")

    assert isinstance(queue, EmbeddedArqQueue)
    assert result.json() == {"success": True, "result": 5}
    assert not queue.server.running


@pytest.mark.redis
async def test_production_mode_enqueues_on_the_real_redis(
    redis_settings: RedisSettings, redis_queue: RedisArqQueue
) -> None:
    app = make_app(arq_lifespan(mode=ArqMode.production, redis_settings=redis_settings))
    async with asgi_client(app) as client:
        posted = await client.post("/jobs", json={"task": "echo", "args": ["hi"]})
        job_id = posted.json()["job_id"]
        metadata = await client.get(f"/jobs/{job_id}")
        assert isinstance(app.state.arq_queue, RedisArqQueue)

    seen_from_outside = await redis_queue.get_job_metadata(job_id)
    assert metadata.json()["status"] == "queued"
    assert seen_from_outside.args == ("hi",)


async def test_production_mode_without_redis_settings_fails_at_startup() -> None:
    app = make_app(arq_lifespan(mode=ArqMode.production))
    with pytest.raises(RuntimeError, match="redis_settings argument must be set"):
        async with asgi_client(app):
            pass


async def test_get_arq_queue_without_the_lifespan_says_to_add_it() -> None:
    app = make_app(lifespan=None)
    async with asgi_client(app) as client:
        with pytest.raises(RuntimeError, match=r"add arq_lifespan\(\.\.\.\)"):
            await client.post("/jobs", json={"task": "noop"})
