"""The browser over real Redis and a real arq worker, as an operator sees jobs move."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from arq.connections import RedisSettings
from httpx import AsyncClient
from redis.asyncio import Redis

from queue_core import RedisArqQueue
from tests.browser.conftest import browser_client
from tests.conftest import WorkerProcess

QUEUE = "browser:work"
WAIT = 20.0

pytestmark = pytest.mark.worker


async def _job(client: AsyncClient, job_id: str) -> dict[str, Any]:
    response = await client.get(f"/jobs/api/jobs/{job_id}", params={"queue": QUEUE})
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


async def _until(client: AsyncClient, job_id: str, status: str) -> dict[str, Any]:
    async with asyncio.timeout(WAIT):
        while (job := await _job(client, job_id))["status"] != status:
            await asyncio.sleep(0.05)
    return job


async def test_jobs_move_from_queued_to_running_to_finished_aborted_or_failed(
    redis_settings: RedisSettings, arq_worker: Callable[..., WorkerProcess]
) -> None:
    queue = await RedisArqQueue.initialize(redis_settings, default_queue_name=QUEUE)
    async with queue, browser_client(queue, allow_abort=True) as client:
        stuck = await queue.enqueue("sleep", 60)
        added = await queue.enqueue("add", 2, 3)
        failing = await queue.enqueue("fail", "on purpose")
        listed = (await client.get("/jobs/api/jobs")).json()["jobs"]
        # A worker takes jobs by enqueue time, then (same millisecond) by id.
        in_order = sorted([stuck, added, failing], key=lambda j: (j.enqueue_time, j.id))
        assert [(job["id"], job["status"]) for job in listed] == [
            (job.id, "queued") for job in in_order
        ]

        await asyncio.to_thread(arq_worker, QUEUE)
        running = await _until(client, stuck.id, "in_progress")
        assert running["args"] == "(60,)"
        done = await _until(client, added.id, "complete")
        failed = await _until(client, failing.id, "complete")
        queues = (await client.get("/jobs/api/queues")).json()
        assert queues == [{"name": QUEUE, "depth": 1, "in_progress": 1, "deferred": 0}]

        aborting = await client.post(f"/jobs/api/jobs/{stuck.id}/abort")
        assert aborting.status_code == 202
        aborted = await _until(client, stuck.id, "complete")
        finished = await client.get("/jobs/api/jobs", params={"status": "complete"})
        page = await client.get(f"/jobs/job/{stuck.id}")

    assert (done["success"], done["result"]) == (True, "5")
    assert failed["success"] is False
    assert failed["result"] == "tests.workers.TaskFailedError: on purpose"
    assert aborted["success"] is False
    assert "CancelledError" in aborted["result"]
    assert {job["id"] for job in finished.json()["jobs"]} == {
        stuck.id,
        added.id,
        failing.id,
    }
    assert 'class="badge aborted"' in page.text


async def test_an_abort_is_answered_even_with_no_worker_to_carry_it_out(
    redis_queue: RedisArqQueue,
) -> None:
    job = await redis_queue.enqueue("sleep", 1, _queue_name="browser:unserved")
    async with browser_client(
        redis_queue, queue_names=["browser:unserved"], allow_abort=True
    ) as client:
        response = await client.post(
            f"/jobs/api/jobs/{job.id}/abort", params={"queue": "browser:unserved"}
        )

    assert response.status_code == 202
    metadata = await redis_queue.get_job_metadata(job.id, "browser:unserved")
    assert metadata.status == "queued"


async def test_no_redis_url_or_password_appears_in_pages_or_errors(
    redis_url: str, redis_settings: RedisSettings
) -> None:
    secret = "browser-SECRET-3b9d"
    admin = Redis.from_url(redis_url)
    await admin.execute_command(
        "ACL", "SETUSER", "browser", "on", f">{secret}", "~*", "&*", "+@all"
    )
    host, port = redis_settings.host, redis_settings.port
    url = f"redis://browser:{secret}@{host}:{port}/0"
    queue = await RedisArqQueue.from_url(url)
    try:
        job = await queue.enqueue("fail", "x")
        async with browser_client(queue, allow_abort=True) as client:
            paths = ["/jobs/", f"/jobs/job/{job.id}", "/jobs/api/queues"]
            answers = [await client.get(path) for path in paths]
            # Deleting the user closes its connections: reconnecting fails.
            await admin.execute_command("ACL", "DELUSER", "browser")
            broken = [await client.get(path) for path in paths]
    finally:
        await queue.aclose()
        await admin.aclose()

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.status_code for answer in broken] == [503, 503, 503]
    for answer in answers + broken:
        text = answer.text + str(answer.headers)
        assert secret not in text
        assert f":{port}" not in text
    assert broken[2].json() == {"detail": "queue backend unavailable"}
