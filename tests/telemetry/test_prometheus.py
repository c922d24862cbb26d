"""The FastAPI example's Prometheus metrics, scraped from the app and its worker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from arq.connections import RedisSettings

from queue_core._embedded import free_loopback_port
from tests.conftest import served_by_uvicorn, start_worker
from tests.test_examples import TEXT, poll_until_complete

pytestmark = [pytest.mark.redis, pytest.mark.worker, pytest.mark.slow]

QUEUE = "telemetry:prometheus"


@pytest.fixture
def app_url(redis_url: str, tmp_path: Path) -> Iterator[str]:
    """The example app under uvicorn, in production mode with ``APP_METRICS``."""
    env = {
        "APP_ARQ_MODE": "production",
        "APP_ARQ_QUEUE_URL": redis_url,
        "APP_ARQ_QUEUE_NAME": QUEUE,
        "APP_METRICS": "true",
    }
    with served_by_uvicorn(
        "examples.fastapi_app.main:app", tmp_path / "uvicorn.log", env=env
    ) as url:
        yield url


async def scrape(url: str) -> str:
    """GET ``url`` once it answers."""
    async with asyncio.timeout(30), httpx.AsyncClient() as client:
        while True:
            try:
                response = await client.get(url)
            except httpx.TransportError:
                await asyncio.sleep(0.1)
                continue
            assert response.status_code == 200
            return response.text


def sample(text: str, name: str, *labels: str) -> float:
    """The value of the one sample of ``name`` whose labels include these."""
    values = [
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(name + "{") and all(label in line for label in labels)
    ]
    assert len(values) == 1, (name, labels, text)
    return values[0]


async def test_the_fastapi_example_and_its_worker_export_queue_metrics_to_prometheus(
    redis_url: str,
    redis_settings: RedisSettings,  # noqa: ARG001 - empties the suite's Redis
    app_url: str,
    tmp_path: Path,
) -> None:
    worker_port = free_loopback_port()
    worker = start_worker(
        redis_url,
        QUEUE,
        tmp_path,
        settings_path="examples.fastapi_app.worker.main.WorkerSettings",
        env={
            "APP_ARQ_MODE": "production",
            "APP_ARQ_QUEUE_URL": redis_url,
            "APP_ARQ_QUEUE_NAME": QUEUE,
            "APP_WORKER_METRICS_PORT": str(worker_port),
        },
    )
    try:
        await scrape(f"{app_url}/metrics/")
        async with httpx.AsyncClient(base_url=app_url) as client:
            for _ in range(2):
                response = await client.post(
                    "/jobs", json={"task": "count_words", "text": TEXT}
                )
                assert response.status_code == 202
                await poll_until_complete(client, response.headers["Location"])
        app_metrics = await scrape(f"{app_url}/metrics/")
        worker_metrics = await scrape(f"http://127.0.0.1:{worker_port}/metrics")
    finally:
        worker.stop()

    queue = f'messaging_destination_name="{QUEUE}"'
    assert sample(app_metrics, "messaging_client_sent_messages_total", queue) == 2
    assert sample(app_metrics, "arq_queue_depth", queue) == 0
    assert sample(app_metrics, "arq_queue_in_progress", queue) == 0
    function = 'arq_job_function="count_words"'
    assert (
        sample(worker_metrics, "messaging_client_consumed_messages_total", queue) == 2
    )
    assert (
        sample(
            worker_metrics,
            "messaging_process_duration_seconds_count",
            queue,
            function,
            'arq_job_outcome="success"',
        )
        == 2
    )
