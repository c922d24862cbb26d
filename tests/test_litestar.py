"""The Litestar plugin, through Litestar's own async test client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from arq.connections import RedisSettings
from litestar import Litestar, delete, get, post
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.testing import AsyncTestClient

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
from queue_litestar import ArqConfig, ArqPlugin
from tests import workers


@post("/jobs", status_code=202)
async def post_job(
    arq_queue: NamedDependency[ArqQueue],
    task: FromQuery[str],
    data: JSONBody[list[Any]],
    queue_name: FromQuery[str | None] = None,
) -> dict[str, Any]:
    job = await arq_queue.enqueue(task, *data, _queue_name=queue_name)
    return {"job_id": job.id, "status": job.status}


@get("/jobs/{job_id:str}")
async def get_job(
    arq_queue: NamedDependency[ArqQueue],
    job_id: FromPath[str],
    queue_name: FromQuery[str | None] = None,
) -> dict[str, Any]:
    try:
        job = await arq_queue.get_job_metadata(job_id, queue_name)
    except JobNotFound as exc:
        raise NotFoundException from exc
    return {"id": job.id, "name": job.name, "status": job.status}


@get("/jobs/{job_id:str}/result")
async def get_result(
    arq_queue: NamedDependency[ArqQueue],
    job_id: FromPath[str],
    queue_name: FromQuery[str | None] = None,
    wait: FromQuery[bool] = False,
) -> dict[str, Any]:
    try:
        if wait:
            result = await arq_queue.wait_for_result(job_id, queue_name, timeout=30)
        else:
            result = await arq_queue.get_job_result(job_id, queue_name)
    except JobNotFound as exc:
        raise NotFoundException from exc
    except JobResultUnavailable as exc:
        raise ClientException(status_code=409) from exc
    shown = result.result if result.success else type(result.result).__name__
    return {"success": result.success, "result": shown}


@delete("/jobs/{job_id:str}")
async def delete_job(
    arq_queue: NamedDependency[ArqQueue], job_id: FromPath[str]
) -> None:
    if not await arq_queue.abort_job(job_id):
        raise NotFoundException


@get("/greeting")
async def get_greeting(state: State) -> dict[str, str]:
    return {"greeting": state.greeting}


def make_app(config: ArqConfig, **kwargs: Any) -> Litestar:
    return Litestar(
        route_handlers=[post_job, get_job, get_result, delete_job, get_greeting],
        plugins=[ArqPlugin(config)],
        **kwargs,
    )


async def post_job_id(client: AsyncTestClient[Litestar], task: str, *args: Any) -> str:
    response = await client.post("/jobs", params={"task": task}, json=list(args))
    assert response.status_code == 202
    job_id: str = response.json()["job_id"]
    return job_id


async def test_handlers_get_the_queue_the_plugin_opened() -> None:
    app = make_app(ArqConfig(mode=ArqMode.test))
    async with AsyncTestClient(app) as client:
        job_id = await post_job_id(client, "add", 2, 3)
        queue = app.state.arq_queue
        assert isinstance(queue, MockArqQueue)
        (job,) = queue.jobs()

    assert (job.id, job.name, job.args) == (job_id, "add", (2, 3))
    assert "arq_queue" not in app.state


async def test_handlers_read_metadata_and_results_as_the_mock_moves_a_job_along(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(ArqConfig(mode=ArqMode.test))
    mock = install_mock_arq_queue(app)
    async with AsyncTestClient(app) as client:
        job_id = await post_job_id(client, "echo", "hi")
        queued = await client.get(f"/jobs/{job_id}")
        unfinished = await client.get(f"/jobs/{job_id}/result")
        await mock.set_in_progress(job_id)
        running = await client.get(f"/jobs/{job_id}")
        await mock.set_complete(job_id, result="hi")
        result = await client.get(f"/jobs/{job_id}/result")

    assert queued.json() == {"id": job_id, "name": "echo", "status": "queued"}
    assert unfinished.status_code == 409
    assert running.json()["status"] == "in_progress"
    assert result.json() == {"success": True, "result": "hi"}


async def test_aborting_a_queued_job_completes_it_as_cancelled(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(ArqConfig(mode=ArqMode.test))
    install_mock_arq_queue(app)
    async with AsyncTestClient(app) as client:
        job_id = await post_job_id(client, "sleep", 10)
        aborted = await client.delete(f"/jobs/{job_id}")
        result = await client.get(f"/jobs/{job_id}/result")
        again = await client.delete(f"/jobs/{job_id}")

    assert aborted.status_code == 204
    assert result.json() == {"success": False, "result": "CancelledError"}
    assert again.status_code == 404


async def test_a_job_is_not_found_in_another_queue_or_by_an_unknown_id(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = make_app(ArqConfig(mode=ArqMode.test))
    install_mock_arq_queue(app)
    async with AsyncTestClient(app) as client:
        posted = await client.post(
            "/jobs", params={"task": "noop", "queue_name": "slow"}, json=[]
        )
        job_id = posted.json()["job_id"]
        own_queue = await client.get(f"/jobs/{job_id}", params={"queue_name": "slow"})
        default_queue = await client.get(f"/jobs/{job_id}")
        unknown = await client.get("/jobs/no-such-job/result")

    assert own_queue.json()["status"] == "queued"
    assert default_queue.status_code == 404
    assert unknown.status_code == 404


async def test_a_queue_already_on_app_state_is_used_and_left_open(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    # Production without Redis settings would fail to start: the mock wins.
    app = make_app(ArqConfig(mode=ArqMode.production))
    mock = install_mock_arq_queue(app)
    async with AsyncTestClient(app) as client:
        await post_job_id(client, "noop")

    assert app.state.arq_queue is mock
    assert [job.name for job in mock.jobs()] == ["noop"]


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

    app = make_app(
        ArqConfig(mode=ArqMode.test),
        lifespan=[own_lifespan],
        on_startup=[enqueue_at_startup],
    )
    async with AsyncTestClient(app) as client:
        greeting = await client.get("/greeting")
        metadata = await client.get(f"/jobs/{started[0]}")

    assert greeting.json() == {"greeting": "hello"}
    assert metadata.json()["name"] == "noop"


async def test_embedded_mode_runs_a_job_to_completion_behind_litestar() -> None:
    settings = WorkerSettings(functions=[workers.add], poll_delay=0.05)
    app = make_app(ArqConfig(mode=ArqMode.embedded, worker_settings=settings))
    async with AsyncTestClient(app) as client:
        job_id = await post_job_id(client, "add", 2, 3)
        queue = app.state.arq_queue
        # Litestar 2's test client runs the app in a loop of its own: the
        # queue is waited on there, by a handler.
        result = await client.get(f"/jobs/{job_id}/result", params={"wait": True})

    assert isinstance(queue, EmbeddedArqQueue)
    assert result.json() == {"success": True, "result": 5}
    assert not queue.server.running


@pytest.mark.redis
async def test_production_mode_enqueues_on_the_real_redis(
    redis_settings: RedisSettings, redis_queue: RedisArqQueue
) -> None:
    config = ArqConfig(mode=ArqMode.production, redis_settings=redis_settings)
    app = make_app(config)
    async with AsyncTestClient(app) as client:
        job_id = await post_job_id(client, "echo", "hi")
        metadata = await client.get(f"/jobs/{job_id}")

    seen_from_outside = await redis_queue.get_job_metadata(job_id)
    assert metadata.json()["status"] == "queued"
    assert seen_from_outside.args == ("hi",)


async def test_production_mode_without_redis_settings_fails_at_startup() -> None:
    app = make_app(ArqConfig(mode=ArqMode.production))
    with pytest.raises(ExceptionGroup) as caught:
        async with AsyncTestClient(app):
            pass

    assert caught.group_contains(
        RuntimeError, match="redis_settings argument must be set"
    )


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
