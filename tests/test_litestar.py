"""What only the Litestar plugin does: its keys, hooks and parameter types.

What all three shims do alike is in tests/shims/test_contract.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, get, post
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.testing import AsyncTestClient

from queue_core import ArqMode, ArqQueue
from queue_core.pytest_plugin import InstallMockArqQueue
from queue_litestar import ArqConfig, ArqPlugin
from tests.shims.apps import litestar_app


@get("/greeting")
async def get_greeting(state: State) -> dict[str, str]:
    return {"greeting": state.greeting}


async def test_custom_keys_name_the_handler_parameter_and_the_state_entry(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    @post("/jobs", status_code=202)
    async def post_with_custom_key(jobs: NamedDependency[ArqQueue]) -> str:
        return (await jobs.enqueue("noop")).id

    app = Litestar(
        route_handlers=[post_with_custom_key],
        plugins=[
            ArqPlugin(
                ArqConfig(mode=ArqMode.test, dependency_key="jobs", state_key="q")
            )
        ],
    )
    mock = install_mock_arq_queue(app, state_key="q")
    async with AsyncTestClient(app) as client:
        job_id = (await client.post("/jobs")).text

    assert [job.id for job in mock.jobs()] == [job_id]


async def test_the_apps_own_lifespan_and_startup_hooks_compose_with_the_plugin() -> (
    None
):
    started: list[str] = []

    @asynccontextmanager
    async def own_lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.greeting = "hello"
        yield

    async def enqueue_at_startup(app: Litestar) -> None:
        started.append((await app.state.arq_queue.enqueue("noop")).id)

    app = litestar_app(
        ArqConfig(mode=ArqMode.test),
        get_greeting,
        lifespan=[own_lifespan],
        on_startup=[enqueue_at_startup],
    )
    async with AsyncTestClient(app) as client:
        greeting = await client.get("/greeting")
        metadata = await client.get(f"/jobs/{started[0]}")

    assert greeting.json() == {"greeting": "hello"}
    assert metadata.json()["name"] == "noop"


def test_the_plugin_adds_our_types_to_the_signature_namespace() -> None:
    config = ArqPlugin(ArqConfig(mode=ArqMode.test)).on_app_init(AppConfig())

    provider = config.dependencies["arq_queue"]
    assert config.signature_namespace["ArqQueue"] is ArqQueue
    assert isinstance(provider, Provide)
    assert provider.sync_to_thread is False


async def test_a_plain_arq_queue_parameter_gets_the_queue() -> None:
    @get("/depth")
    async def depth(arq_queue: ArqQueue) -> int:
        await arq_queue.enqueue("noop")
        return await arq_queue.queue_depth()

    app = Litestar(
        route_handlers=[depth], plugins=[ArqPlugin(ArqConfig(mode=ArqMode.test))]
    )
    async with AsyncTestClient(app) as client:
        response = await client.get("/depth")

    assert response.json() == 1
