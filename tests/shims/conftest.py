"""The shim contract's fixture: every test runs on each framework's shim.

Each `Shim` builds the same small HTTP API (see `tests.shims.apps`) wired
its framework's own way, and opens a client on it with that framework's
own test client. A contract test only talks HTTP to the app and reads
``app.state``, so it holds for Starlette, FastAPI and Litestar alike.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient
from litestar.testing import AsyncTestClient

import queue_fastapi
import queue_starlette
from queue_core import ArqMode
from queue_core.pytest_plugin import InstallMockArqQueue
from queue_litestar import ArqConfig
from tests.conftest import asgi_client
from tests.shims.apps import fastapi_app, litestar_app, starlette_app


@dataclass(frozen=True)
class Shim:
    """A framework's shim under test: how to build the app and talk to it."""

    name: str
    make_app: Callable[..., Any]
    """Build the app, passing queue options (``mode``, ``redis_settings``,
    ``worker_settings``, ...) to the shim."""

    client: Callable[[Any], AbstractAsyncContextManager[AsyncClient]]
    """Start the app and open the framework's test client on it."""


SHIMS = {
    "starlette": Shim(
        "starlette",
        lambda **options: starlette_app(queue_starlette.arq_lifespan(**options)),
        asgi_client,
    ),
    "fastapi": Shim(
        "fastapi",
        lambda **options: fastapi_app(queue_fastapi.arq_lifespan(**options)),
        asgi_client,
    ),
    # Litestar 2's test client runs the app on a loop of its own, in another
    # thread: tests read its Redis-backed queues through HTTP only.
    "litestar": Shim(
        "litestar",
        lambda **options: litestar_app(ArqConfig(**options)),
        AsyncTestClient,
    ),
}


@pytest.fixture(params=list(SHIMS))
def shim(request: pytest.FixtureRequest) -> Shim:
    """Each shim contract test runs once on each framework."""
    return SHIMS[request.param]


@pytest.fixture
def mocked_app(shim: Shim, install_mock_arq_queue: InstallMockArqQueue) -> Any:
    """The shim's app in test mode, serving this test's `mock_arq_queue`."""
    app = shim.make_app(mode=ArqMode.test)
    install_mock_arq_queue(app)
    return app
