"""The runnable examples under examples/ do what their README says."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq.connections import RedisSettings
from examples.fastapi_app import main as fastapi_main
from examples.fastapi_app.config import Config
from examples.fastapi_app.worker.functions import check_url, count_words
from examples.fastapi_app.worker.main import WorkerSettings, shutdown, startup
from examples.litestar_app import main as litestar_main
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pydantic import RedisDsn

from queue_core import ArqMode, JobStatus, MockArqQueue, RedisArqQueue
from queue_core.pytest_plugin import InstallMockArqQueue
from tests.conftest import REPO_ROOT, WorkerProcess, asgi_client, start_worker

TEXT = "the quick brown fox jumps over the lazy dog"
JOB_WAIT = 30.0
"""Seconds a test waits for a real worker before failing (not an assertion)."""

AppClient = httpx.AsyncClient | AsyncTestClient[Litestar]


# --8<-- [start:mock-lifecycle]
async def poll_until_complete(client: AppClient, location: str) -> dict[str, Any]:
    """GET a job until it is complete, as a caller of the service would."""
    async with asyncio.timeout(JOB_WAIT):
        while True:
            response = await client.get(location)
            assert response.status_code == 200
            body: dict[str, Any] = response.json()
            if body["status"] == JobStatus.complete:
                return body
            await asyncio.sleep(0.05)


async def post_count_words(client: AppClient) -> tuple[str, dict[str, Any]]:
    """Queue a count_words job; return its Location and the response body."""
    response = await client.post("/jobs", json={"task": "count_words", "text": TEXT})
    assert response.status_code == 202
    return response.headers["Location"], response.json()


async def assert_lifecycle_with_mock(client: AppClient, mock: MockArqQueue) -> None:
    """Walk a job from queued to complete through the app's two endpoints."""
    location, created = await post_count_words(client)
    [job] = mock.jobs(name="count_words")
    assert location.endswith(f"/jobs/{job.id}")
    assert job.kwargs == {"text": TEXT}
    assert created["status"] == JobStatus.queued

    assert (await client.get(location)).json()["status"] == JobStatus.queued
    await mock.set_in_progress(job.id)
    assert (await client.get(location)).json()["status"] == JobStatus.in_progress

    expected = await count_words({}, TEXT)
    await mock.set_complete(job.id, result=expected)
    body = (await client.get(location)).json()
    assert body["status"] == JobStatus.complete
    assert body["success"] is True
    assert body["result"] == expected


# FastAPI example


async def test_fastapi_example_walks_a_job_from_queued_through_to_complete(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = fastapi_main.create_app(Config(arq_mode=ArqMode.production))
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        await assert_lifecycle_with_mock(client, mock)
    # --8<-- [end:mock-lifecycle]


async def test_fastapi_example_reports_a_failed_job_with_its_error(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = fastapi_main.create_app(Config(arq_mode=ArqMode.production))
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        location, created = await post_count_words(client)
        await mock.set_complete(
            created["id"], result=ValueError("no words"), success=False
        )
        body = (await client.get(location)).json()
    assert body["success"] is False
    assert body["result"] is None
    assert "no words" in body["error"]


async def test_fastapi_example_answers_404_for_an_unknown_job() -> None:
    app = fastapi_main.create_app(Config(arq_mode=ArqMode.test))
    async with asgi_client(app) as client:
        response = await client.get("/jobs/no-such-job")
    assert response.status_code == 404


async def test_fastapi_example_refuses_a_task_it_does_not_offer() -> None:
    app = fastapi_main.create_app(Config(arq_mode=ArqMode.test))
    async with asgi_client(app) as client:
        response = await client.post("/jobs", json={"task": "rm_rf", "path": "/"})
        assert response.status_code == 422
        assert app.state.arq_queue.jobs() == []


# --8<-- [start:embedded]
async def test_fastapi_example_runs_a_job_end_to_end_in_embedded_mode() -> None:
    app = fastapi_main.create_app(Config(arq_mode=ArqMode.embedded))
    async with asgi_client(app) as client:
        location, _ = await post_count_words(client)
        body = await poll_until_complete(client, location)
    assert body["success"] is True
    assert body["result"] == await count_words({}, TEXT)
    # --8<-- [end:embedded]


def test_example_config_reads_mode_and_redis_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ARQ_MODE", "test")
    monkeypatch.setenv("APP_ARQ_QUEUE_URL", "rediss://cache.internal:6380/3")
    config = Config()
    assert config.arq_mode is ArqMode.test
    settings = config.arq_redis_settings
    assert (settings.host, settings.port, settings.database, settings.ssl) == (
        "cache.internal",
        6380,
        3,
        True,
    )


def test_example_config_keeps_the_password_out_of_reprs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ARQ_QUEUE_PASSWORD", "hunter2")
    config = Config()
    assert config.arq_redis_settings.password == "hunter2"
    assert "hunter2" not in repr(config)
    assert "hunter2" not in repr(config.arq_redis_settings)


# The worker's functions, called directly


# --8<-- [start:functions]
async def test_count_words_counts_whitespace_separated_words() -> None:
    assert await count_words({}, "  one two\tthree\n") == 3


async def test_check_url_reports_status_and_size_with_the_ctx_client() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(418, content=f"teapot at {request.url}".encode())

    url = "https://example.test/pot"
    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        report = await check_url({"http_client": client}, url)
    assert report == {
        "url": url,
        "status_code": 418,
        "size": len(f"teapot at {url}"),
    }


async def test_worker_startup_opens_the_client_and_shutdown_closes_it() -> None:
    ctx: dict[Any, Any] = {}
    await startup(ctx)
    client = ctx["http_client"]
    assert isinstance(client, httpx.AsyncClient)
    assert not client.is_closed
    await shutdown(ctx)
    assert client.is_closed
    # --8<-- [end:functions]


@pytest.mark.redis
@pytest.mark.worker
async def test_fastapi_example_in_production_mode_uses_the_arq_cli_worker(
    redis_url: str,
    redis_settings: RedisSettings,  # noqa: ARG001 - empties the suite's Redis
    tmp_path: Path,
) -> None:
    """The documented production setup: the app, Redis, and `arq ...` apart."""
    worker = start_worker(
        redis_url,
        WorkerSettings.queue_name,
        tmp_path,
        settings_path="examples.fastapi_app.worker.main.WorkerSettings",
        env={"APP_ARQ_MODE": "production", "APP_ARQ_QUEUE_URL": redis_url},
    )
    try:
        config = Config(arq_mode=ArqMode.production, arq_queue_url=RedisDsn(redis_url))
        app = fastapi_main.create_app(config)
        async with asgi_client(app) as client:
            location, _ = await post_count_words(client)
            body = await poll_until_complete(client, location)
    finally:
        worker.stop()
    assert body["result"] == await count_words({}, TEXT)
    assert "count_words" in worker.log()


# Litestar example


# --8<-- [start:litestar-mock]
async def test_litestar_example_walks_a_job_from_queued_through_to_complete() -> None:
    app = litestar_main.create_app(Config(arq_mode=ArqMode.test))
    async with AsyncTestClient(app) as client:
        mock = app.state.arq_queue
        assert isinstance(mock, MockArqQueue)
        await assert_lifecycle_with_mock(client, mock)
    # --8<-- [end:litestar-mock]


async def test_litestar_example_uses_a_mock_installed_before_startup(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = litestar_main.create_app(Config(arq_mode=ArqMode.production))
    mock = install_mock_arq_queue(app)
    async with AsyncTestClient(app) as client:
        await post_count_words(client)
    assert [job.name for job in mock.jobs()] == ["count_words"]


async def test_litestar_example_answers_404_for_an_unknown_job() -> None:
    app = litestar_main.create_app(Config(arq_mode=ArqMode.test))
    async with AsyncTestClient(app) as client:
        response = await client.get("/jobs/no-such-job")
    assert response.status_code == 404


# --8<-- [start:litestar-embedded]
async def test_litestar_example_runs_a_job_end_to_end_in_embedded_mode() -> None:
    app = litestar_main.create_app(Config(arq_mode=ArqMode.embedded))
    async with AsyncTestClient(app) as client:
        location, _ = await post_count_words(client)
        body = await poll_until_complete(client, location)
    assert body["success"] is True
    assert body["result"] == await count_words({}, TEXT)
    # --8<-- [end:litestar-embedded]


# The plain asyncio script


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "examples/script.py", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_script_adds_on_an_embedded_worker_by_default() -> None:
    done = run_script("19", "23")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"add(19, 23) = {19 + 23}"


@pytest.mark.redis
@pytest.mark.worker
def test_script_with_redis_url_uses_the_worker_on_that_redis(
    redis_url: str,
    redis_settings: RedisSettings,  # noqa: ARG001 - empties the suite's Redis
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    arq_worker()  # tests.workers has an add(a, b) task too
    done = run_script("2", "40", "--redis-url", redis_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"add(2, 40) = {2 + 40}"


@pytest.mark.redis
@pytest.mark.worker
async def test_script_worker_settings_read_redis_url_from_the_environment(
    redis_url: str, redis_settings: RedisSettings, tmp_path: Path
) -> None:
    worker = start_worker(
        redis_url,
        "arq:queue",
        tmp_path,
        settings_path="examples.script.WorkerSettings",
        env={"REDIS_URL": redis_url},
    )
    try:
        async with await RedisArqQueue.initialize(redis_settings) as queue:
            job = await queue.enqueue("add", 1, 2)
            result = await queue.wait_for_result(job.id, timeout=JOB_WAIT)
    finally:
        worker.stop()
    assert result.result == 1 + 2
