"""The browser's progress bars, failure reasons, retry button and workers
panel, through its JSON API and page, over the mock running real settings."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from queue_browser import JobBrowser
from queue_core import MockArqQueue
from tests import progress_workers
from tests.browser.conftest import browser_client

XSS = "<img src=x onerror=alert(1)>"
SETTINGS = progress_workers.ProgressSettings
QUEUE = SETTINGS.queue_name


@pytest.fixture
async def queue() -> MockArqQueue:
    """A mock with a job that reported progress, one that failed in a run,
    and one failed by hand (with no traceback, as arq's worker leaves it)."""
    mock = MockArqQueue(default_queue_name=QUEUE)
    await mock.enqueue("report", 3, 4, "resizing", _job_id="reported")
    await mock.enqueue("fail", XSS, _job_id="failed")
    await mock.run_jobs(SETTINGS)
    await mock.enqueue("fail", "by hand", _job_id="by-hand")
    await mock.set_complete("by-hand", result=ValueError("by hand"), success=False)
    await mock.enqueue("echo", 1, _job_id="waiting")
    return mock


async def test_a_jobs_progress_is_in_its_api_fields(queue: MockArqQueue) -> None:
    async with browser_client(queue) as client:
        job = (await client.get("/jobs/api/jobs/reported")).json()
        waiting = (await client.get("/jobs/api/jobs/waiting")).json()

    progress = job["progress"]
    assert (progress["done"], progress["total"]) == (3, 4)
    assert (progress["message"], progress["fraction"]) == ("resizing", 0.75)
    assert progress["updated_at"].endswith("+00:00")
    assert "progress" not in waiting


async def test_a_failed_jobs_error_has_its_type_message_and_recorded_traceback(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue) as client:
        failed = (await client.get("/jobs/api/jobs/failed")).json()
        by_hand = (await client.get("/jobs/api/jobs/by-hand")).json()
        done = (await client.get("/jobs/api/jobs/reported")).json()

    error = failed["error"]
    assert (error["type"], error["message"]) == ("tests.workers.TaskFailedError", XSS)
    assert "raise TaskFailedError(message)" in error["traceback"]
    assert by_hand["error"] == {
        "type": "ValueError",
        "message": "by hand",
        "traceback": None,
    }
    assert "error" not in done


async def test_the_job_page_shows_the_failure_escaped_and_the_traceback(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue) as client:
        failed = (await client.get("/jobs/job/failed")).text
        by_hand = (await client.get("/jobs/job/by-hand")).text

    assert XSS not in failed
    assert "&lt;img src=x onerror=alert(1)&gt;" in failed
    assert re.search(r'id="traceback"[^>]*>Traceback \(most recent call', failed)
    assert 'id="no-traceback"' in by_hand
    assert 'id="traceback"' not in by_hand


async def test_a_long_traceback_is_shown_by_its_end(queue: MockArqQueue) -> None:
    await queue.enqueue("fail", "x" * 20_000, _job_id="long")
    await queue.run_jobs(SETTINGS)

    async with browser_client(queue) as client:
        error = (await client.get("/jobs/api/jobs/long")).json()["error"]

    assert len(error["message"]) <= 1000
    assert error["message"].endswith("…")
    assert 4000 < len(error["traceback"]) <= 5000
    assert error["traceback"].startswith("…")
    assert error["traceback"].endswith("x" * 100)


async def test_the_page_shows_a_progress_bar_for_a_job_that_reported(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue) as client:
        page = (await client.get("/jobs/job/reported")).text
        listing = (await client.get("/jobs/", params={"status": "complete"})).text

    assert '<progress max="1" value="0.75" id="progress"' in page
    assert "3 of 4 (75%): resizing" in page
    assert '<progress max="1" value="0.75"' in listing


async def test_retrying_is_refused_unless_allowed(queue: MockArqQueue) -> None:
    async with browser_client(queue) as client:
        response = await client.post("/jobs/api/jobs/failed/retry")
        form = await client.post("/jobs/job/failed/retry")
        page = await client.get("/jobs/job/failed")

    assert (response.status_code, form.status_code) == (403, 403)
    assert response.json() == {"detail": "retrying jobs is not allowed here"}
    assert 'id="retry"' not in page.text
    assert len(queue.jobs()) == 4


async def test_a_cross_origin_retry_is_refused(queue: MockArqQueue) -> None:
    async with browser_client(queue, allow_retry=True) as client:
        response = await client.post(
            "/jobs/api/jobs/failed/retry", headers={"Origin": "http://evil.example"}
        )

    assert response.status_code == 403
    assert response.json() == {"detail": "cross-origin request refused"}
    assert len(queue.jobs()) == 4


@pytest.mark.parametrize("origin", [None, "http://testserver"])
async def test_a_same_origin_retry_enqueues_the_job_again(
    queue: MockArqQueue, origin: str | None
) -> None:
    headers = {} if origin is None else {"Origin": origin}
    async with browser_client(queue, allow_retry=True) as client:
        response = await client.post("/jobs/api/jobs/failed/retry", headers=headers)

    assert response.status_code == 201
    new = response.json()
    assert new["retry_of"] == "failed"
    assert (new["name"], new["args"], new["status"]) == ("fail", repr((XSS,)), "queued")
    assert (await queue.get_job_metadata(new["id"])).args == (XSS,)
    assert (await queue.get_job_result("failed")).success is False


async def test_retrying_an_unfinished_or_unknown_job_says_so(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue, allow_retry=True) as client:
        unfinished = await client.post("/jobs/api/jobs/waiting/retry")
        unknown = await client.post("/jobs/api/jobs/nope/retry")

    assert unfinished.status_code == 409
    assert unfinished.json() == {"detail": "the job has not finished"}
    assert unknown.status_code == 404


async def test_the_retry_button_enqueues_the_job_again_and_shows_the_new_one(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue, allow_retry=True) as client:
        before = await client.get("/jobs/job/failed")
        waiting = await client.get("/jobs/job/waiting")
        response = await client.post(
            "/jobs/job/failed/retry", headers={"Origin": "http://testserver"}
        )
        after = await client.get(response.url.join(response.headers["location"]))

    assert 'id="retry"' in before.text
    assert 'id="retry"' not in waiting.text
    assert response.status_code == 303
    new_id = after.url.path.removeprefix("/jobs/job/")
    assert (await queue.get_job_metadata(new_id)).name == "fail"
    assert 'id="retried"' in after.text
    assert 'class="badge queued"' in after.text


@pytest.fixture
async def busy(queue: MockArqQueue, tmp_path: Path) -> AsyncIterator[None]:
    """A `run_jobs` serving the queue, with a job waiting on a gate."""
    gate = f"{tmp_path}/gate"
    await queue.enqueue("report_then_wait", gate, 1, 2, "half", _job_id="busy")
    run = asyncio.create_task(queue.run_jobs(SETTINGS))
    async with asyncio.timeout(20):
        while not await queue.list_workers():
            await asyncio.sleep(0.01)
    try:
        yield
    finally:
        await asyncio.to_thread(Path(gate).touch)
        await run


async def test_the_workers_panel_and_api_list_the_queues_workers(
    queue: MockArqQueue, busy: None
) -> None:
    del busy
    async with browser_client(queue) as client:
        listed = (await client.get("/jobs/api/workers")).json()
        page = (await client.get("/jobs/")).text

    (worker,) = listed["workers"]
    assert listed["queue_name"] == QUEUE
    assert (worker["kind"], worker["running"]) == ("mock", 1)
    assert worker["started_at"] <= worker["last_beat_at"]
    assert f'data-worker-id="{worker["id"]}"' in page


async def test_the_workers_panel_says_when_no_worker_serves_the_queue(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue) as client:
        listed = (await client.get("/jobs/api/workers")).json()
        page = (await client.get("/jobs/")).text

    assert listed == {"queue_name": QUEUE, "workers": []}
    assert 'id="no-workers"' in page


def test_retrying_is_off_by_default_and_set_like_aborting() -> None:
    assert JobBrowser(MockArqQueue()).allow_retry is False
    assert JobBrowser(MockArqQueue(), allow_retry=True).allow_retry is True
    assert JobBrowser.from_app_state(allow_retry=True).allow_retry is True
