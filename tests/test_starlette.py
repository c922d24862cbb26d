"""What only the Starlette shim does: lifespan state and composing lifespans.

What all three shims do alike is in tests/shims/test_contract.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from queue_core import ArqMode, EmbeddedArqQueue
from queue_starlette import arq_lifespan
from tests.conftest import asgi_client
from tests.shims.apps import post_job, starlette_app


async def get_greeting(request: Request) -> JSONResponse:
    return JSONResponse({"greeting": request.state.greeting})


async def test_the_lifespan_puts_the_queue_in_the_lifespan_state() -> None:
    lifespan = arq_lifespan(mode="test")
    app = starlette_app(lifespan)

    async with lifespan(app) as state:
        assert state == {"arq_queue": app.state.arq_queue}


async def test_handlers_fall_back_to_app_state_without_lifespan_state() -> None:
    app = starlette_app(arq_lifespan(mode=ArqMode.test))
    # The transport is on the bare app, so requests carry no lifespan state.
    async with (
        LifespanManager(app),
        AsyncClient(
            transport=ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        job_id = await post_job(client, "noop")
        jobs = app.state.arq_queue.jobs()

    assert [job.id for job in jobs] == [job_id]


async def test_the_apps_own_lifespan_runs_inside_with_the_queue_open() -> None:
    seen_at_startup: list[str] = []

    @asynccontextmanager
    async def own_lifespan(app: Starlette) -> AsyncIterator[Mapping[str, Any]]:
        job = await app.state.arq_queue.enqueue("noop")
        seen_at_startup.append(job.id)
        yield {"greeting": "hello"}

    lifespan = arq_lifespan(mode=ArqMode.test, lifespan=own_lifespan)
    app = starlette_app(lifespan, Route("/greeting", get_greeting))
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

    app = starlette_app(arq_lifespan(mode=ArqMode.test, lifespan=own_lifespan))
    async with asgi_client(app) as client:
        job_id = await post_job(client, "noop")
        metadata = await client.get(f"/jobs/{job_id}")

    assert metadata.json()["status"] == "queued"
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

    lifespan = arq_lifespan(mode=ArqMode.embedded, lifespan=failing_lifespan)
    app = starlette_app(lifespan)
    with pytest.raises(ValueError, match="own startup failed"):
        async with asgi_client(app):
            pass

    server = opened[0].server
    assert not server.running
    assert not server.directory.exists()
    assert not hasattr(app.state, "arq_queue")


async def test_get_arq_queue_without_the_lifespan_says_to_add_it() -> None:
    app = starlette_app(lifespan=None)
    async with asgi_client(app) as client:
        with pytest.raises(RuntimeError, match=r"add arq_lifespan\(\.\.\.\)"):
            await client.post("/jobs", params={"task": "noop"}, json=[])
