"""The docs' mounting examples: each framework's own queue, behind its own auth."""

from __future__ import annotations

from types import ModuleType

import pytest
from httpx import AsyncClient
from litestar.testing import AsyncTestClient

from queue_core import ArqQueue
from tests.conftest import asgi_client, load_example

TOKEN = "t0ken-for-tests"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def example(monkeypatch: pytest.MonkeyPatch, name: str) -> ModuleType:
    monkeypatch.setenv("JOBS_ADMIN_TOKEN", TOKEN)
    monkeypatch.setenv("ARQ_MODE", "test")
    return load_example(name)


async def assert_guarded_browser_on_the_apps_queue(
    client: AsyncClient, queue: ArqQueue, *, abort_status: int
) -> None:
    job = await queue.enqueue("build_report", "<b>2024-05</b>")

    refused = [
        await client.get("/jobs/api/queues"),
        await client.get("/jobs/"),
        await client.post(f"/jobs/api/jobs/{job.id}/abort"),
    ]
    listed = await client.get("/jobs/api/jobs", headers=ADMIN)
    page = await client.get("/jobs/", headers=ADMIN)
    job_page = await client.get(f"/jobs/job/{job.id}", headers=ADMIN)
    aborted = await client.post(f"/jobs/api/jobs/{job.id}/abort", headers=ADMIN)

    assert [response.status_code for response in refused] == [401, 401, 401]
    assert [entry["id"] for entry in listed.json()["jobs"]] == [job.id]
    assert page.status_code == 200
    assert f'href="job/{job.id}?queue=arq%3Aqueue"' in page.text
    assert "&lt;b&gt;2024-05&lt;/b&gt;" in job_page.text
    assert aborted.status_code == abort_status


async def test_fastapi_mounts_the_browser_on_its_lifespan_queue_behind_its_auth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = example(monkeypatch, "browser_fastapi").app
    async with asgi_client(app) as client:
        await assert_guarded_browser_on_the_apps_queue(
            client, app.state.arq_queue, abort_status=202
        )


async def test_starlette_mounts_a_read_only_browser_of_two_queues_behind_its_auth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = example(monkeypatch, "browser_starlette").app
    async with asgi_client(app) as client:
        await assert_guarded_browser_on_the_apps_queue(
            client, app.state.arq_queue, abort_status=403
        )
        queues = await client.get("/jobs/api/queues", headers=ADMIN)

    assert [entry["name"] for entry in queues.json()] == ["arq:queue", "emails"]


async def test_litestar_mounts_the_browser_as_an_asgi_handler_with_a_guard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = example(monkeypatch, "browser_litestar").app
    async with AsyncTestClient(app) as client:
        await assert_guarded_browser_on_the_apps_queue(
            client, app.state["arq_queue"], abort_status=202
        )
        bare = await client.get("/jobs", headers=ADMIN, follow_redirects=False)

    assert bare.status_code == 307
    assert bare.headers["location"] == "/jobs/"
