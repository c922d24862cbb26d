"""The browser's JSON API and page over the mock: fields, filters, refusals."""

from __future__ import annotations

import re

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from queue_browser import DISPLAY_LIMIT, MAX_LIMIT, JobBrowser
from queue_core import MockArqQueue
from tests.browser.conftest import browser_client
from tests.conftest import asgi_client

XSS = "<img src=x onerror=alert(1)>"
SUMMARY_FIELDS = {"id", "name", "status", "enqueue_time", "args", "kwargs"}
RESULT_FIELDS = {"success", "result", "start_time", "finish_time"}
OTHER = "browser:other"


@pytest.fixture
async def queue() -> MockArqQueue:
    """A mock holding a job of each status in the default queue."""
    mock = MockArqQueue()
    await mock.enqueue("echo", XSS, _job_id="queued", size=2)
    await mock.enqueue("echo", 2, _job_id="deferred", _defer_by=600)
    await mock.enqueue("sleep", 30, _job_id="running")
    await mock.set_in_progress("running")
    await mock.enqueue("add", 1, 2, _job_id="added")
    await mock.set_in_progress("added")
    await mock.set_complete("added", result=3)
    await mock.enqueue("fail", "boom", _job_id="failed")
    await mock.set_complete(
        "failed", result=ValueError("boom went the task"), success=False
    )
    await mock.enqueue("echo", 3, _queue_name=OTHER, _job_id="elsewhere")
    return mock


async def test_queues_report_depth_running_and_deferred_per_shown_queue(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue, queue_names=["arq:queue", OTHER]) as client:
        response = await client.get("/jobs/api/queues")

    assert response.status_code == 200
    assert response.json() == [
        {"name": "arq:queue", "depth": 3, "in_progress": 1, "deferred": 1},
        {"name": OTHER, "depth": 1, "in_progress": 0, "deferred": 0},
    ]


async def test_the_default_queue_is_the_only_one_shown_unless_named(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue) as client:
        queues = (await client.get("/jobs/api/queues")).json()
        other = await client.get("/jobs/api/jobs", params={"queue": OTHER})

    assert [entry["name"] for entry in queues] == ["arq:queue"]
    assert other.status_code == 404
    assert other.json() == {"detail": "unknown queue"}


async def test_jobs_list_unfinished_ones_in_worker_order_as_display_strings(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue) as client:
        response = await client.get("/jobs/api/jobs", params={"queue": "arq:queue"})

    jobs = response.json()["jobs"]
    assert [(job["id"], job["status"]) for job in jobs] == [
        ("queued", "queued"),
        ("running", "in_progress"),
        ("deferred", "deferred"),
    ]
    assert all(set(job) == SUMMARY_FIELDS for job in jobs)
    assert jobs[0]["name"] == "echo"
    assert jobs[0]["args"] == repr((XSS,))
    assert jobs[0]["kwargs"] == repr({"size": 2})
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT[\d:.]+\+00:00", jobs[0]["enqueue_time"])


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("queued", ["queued"]),
        ("in_progress", ["running"]),
        ("deferred", ["deferred"]),
        ("complete", ["failed", "added"]),
    ],
)
async def test_jobs_filter_by_arq_status_names_finished_ones_included(
    queue: MockArqQueue, status: str, expected: list[str]
) -> None:
    async with browser_client(queue) as client:
        response = await client.get("/jobs/api/jobs", params={"status": status})

    jobs = response.json()["jobs"]
    assert sorted(job["id"] for job in jobs) == sorted(expected)
    assert {job["status"] for job in jobs} == {status}


async def test_the_limit_bounds_a_listing(queue: MockArqQueue) -> None:
    for n in range(MAX_LIMIT + 10):
        await queue.enqueue("echo", n, _queue_name=OTHER)
    async with browser_client(queue, queue_names=["arq:queue", OTHER]) as client:
        capped = await client.get(
            "/jobs/api/jobs", params={"queue": OTHER, "limit": 10_000}
        )
        one = await client.get("/jobs/api/jobs", params={"limit": 1})
        finished = await client.get(
            "/jobs/api/jobs", params={"status": "complete", "limit": 1}
        )
        following = await client.get("/jobs/api/jobs" + finished.links["next"]["url"])

    assert len(capped.json()["jobs"]) == MAX_LIMIT
    assert [job["id"] for job in one.json()["jobs"]] == ["queued"]
    assert len(finished.json()["jobs"]) == 1
    assert "next" not in following.links
    assert {finished.json()["jobs"][0]["id"], following.json()["jobs"][0]["id"]} == {
        "added",
        "failed",
    }


@pytest.mark.parametrize(
    "params",
    [
        {"status": "not_found"},
        {"status": "running"},
        {"limit": "0"},
        {"limit": "-5"},
        {"limit": "many"},
        {"status": "complete", "cursor": "page-2"},
    ],
)
async def test_a_bad_filter_is_refused_with_a_json_reason(
    queue: MockArqQueue, params: dict[str, str]
) -> None:
    async with browser_client(queue) as client:
        response = await client.get("/jobs/api/jobs", params=params)

    assert response.status_code == 400
    assert response.json()["detail"]


async def test_a_finished_job_shows_its_result_and_times(queue: MockArqQueue) -> None:
    async with browser_client(queue) as client:
        done = (await client.get("/jobs/api/jobs/added")).json()
        failed = (await client.get("/jobs/api/jobs/failed")).json()
        waiting = (await client.get("/jobs/api/jobs/queued")).json()

    assert set(done) == SUMMARY_FIELDS | RESULT_FIELDS
    assert done["status"] == "complete"
    assert done["success"] is True
    assert done["result"] == "3"
    assert done["start_time"] <= done["finish_time"]
    assert failed["success"] is False
    assert failed["result"] == "ValueError: boom went the task"
    assert set(waiting) == SUMMARY_FIELDS


async def test_an_unknown_job_is_a_json_404(queue: MockArqQueue) -> None:
    async with browser_client(queue) as client:
        response = await client.get("/jobs/api/jobs/nope")
        page = await client.get("/jobs/job/nope")

    assert response.status_code == 404
    assert response.json() == {"detail": "job not found"}
    assert page.status_code == 404
    assert "job not found" in page.text


async def test_aborting_is_refused_unless_allowed(queue: MockArqQueue) -> None:
    async with browser_client(queue) as client:
        response = await client.post("/jobs/api/jobs/running/abort")
        form = await client.post("/jobs/job/running/abort")
        page = await client.get("/jobs/job/running")

    assert response.status_code == 403
    assert form.status_code == 403
    assert "abort" in response.json()["detail"]
    assert (await queue.get_job_metadata("running")).status == "in_progress"
    assert 'id="abort"' not in page.text


@pytest.mark.parametrize(
    "origin",
    ["http://evil.example", "https://testserver", "null", "http://testserver:81"],
)
async def test_a_cross_origin_abort_is_refused(
    queue: MockArqQueue, origin: str
) -> None:
    async with browser_client(queue, allow_abort=True) as client:
        response = await client.post(
            "/jobs/api/jobs/running/abort", headers={"Origin": origin}
        )

    assert response.status_code == 403
    assert (await queue.get_job_metadata("running")).status == "in_progress"


@pytest.mark.parametrize("origin", [None, "http://testserver"])
async def test_a_same_origin_or_scripted_abort_is_requested(
    queue: MockArqQueue, origin: str | None
) -> None:
    headers = {} if origin is None else {"Origin": origin}
    async with browser_client(queue, allow_abort=True) as client:
        response = await client.post("/jobs/api/jobs/running/abort", headers=headers)
        after = (await client.get("/jobs/api/jobs/running")).json()

    assert response.status_code == 202
    assert response.json() == {"id": "running", "abort_requested": True}
    assert after["success"] is False
    assert after["result"] == "asyncio.exceptions.CancelledError"


async def test_aborting_a_finished_or_unknown_job_says_so(queue: MockArqQueue) -> None:
    async with browser_client(queue, allow_abort=True) as client:
        finished = await client.post("/jobs/api/jobs/added/abort")
        unknown = await client.post("/jobs/api/jobs/nope/abort")

    assert finished.status_code == 200
    assert finished.json() == {"id": "added", "abort_requested": False}
    assert unknown.status_code == 404


async def test_the_abort_button_asks_for_the_abort_and_shows_the_job(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue, allow_abort=True) as client:
        before = await client.get("/jobs/job/running")
        response = await client.post(
            "/jobs/job/running/abort", headers={"Origin": "http://testserver"}
        )
        after = await client.get("/jobs/job/" + response.headers["location"][3:])

    assert 'id="abort"' in before.text
    assert response.status_code == 303
    assert "Abort requested" in after.text
    assert 'class="badge aborted"' in after.text
    assert 'id="abort"' not in after.text


async def test_large_arguments_and_results_are_truncated(queue: MockArqQueue) -> None:
    big = "x" * 200_000
    await queue.enqueue("echo", big, _job_id="big", blob=list(range(100_000)))
    await queue.set_complete("big", result={"data": big})
    async with browser_client(queue) as client:
        job = (await client.get("/jobs/api/jobs/big")).json()
        page = await client.get("/jobs/job/big")

    for field in ("args", "kwargs", "result"):
        assert len(job[field]) <= DISPLAY_LIMIT
    assert job["args"].startswith("('xxx")
    assert len(page.text) < 10 * DISPLAY_LIMIT


async def test_an_unreadable_job_shows_as_unreadable_and_the_page_renders(
    queue: MockArqQueue,
) -> None:
    await queue.enqueue("echo", 1, _job_id="spoiled")
    queue._jobs["spoiled"].payload = b"written by something else"
    async with browser_client(queue) as client:
        listed = (await client.get("/jobs/api/jobs")).json()["jobs"]
        job = await client.get("/jobs/api/jobs/spoiled")
        index = await client.get("/jobs/")
        page = await client.get("/jobs/job/spoiled")

    assert {"id": "spoiled", "name": "unreadable", "status": "unreadable"}.items() <= (
        listed[-1].items()
    )
    assert job.status_code == 200
    assert job.json()["args"] == "unreadable"
    assert index.status_code == 200
    assert "unreadable" in index.text
    assert page.status_code == 200
    assert "cannot be read" in page.text


async def test_the_page_escapes_what_it_shows_and_forbids_inline_code(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue, title="<b>Ops</b>") as client:
        index = await client.get("/jobs/")
        job = await client.get("/jobs/job/queued")

    for page in (index, job):
        assert page.status_code == 200
        assert XSS not in page.text
        assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
        assert "<b>Ops</b>" not in page.text
        policy = page.headers["content-security-policy"]
        assert "default-src 'none'" in policy
        assert "frame-ancestors 'none'" in policy


async def test_the_page_shows_counts_a_depth_chart_and_filtered_jobs(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue) as client:
        index = await client.get("/jobs/")
        deferred = await client.get("/jobs/", params={"status": "deferred"})

    assert re.search(r'class="depth">3<', index.text)
    assert re.search(r'class="in-progress">1<', index.text)
    assert re.search(r'<polyline points="[\d.]+,[\d.]+ 300.0,[\d.]+">', index.text)
    assert "depth over the last 1 min · peak 3" in index.text
    assert 'data-job-id="queued"' in index.text
    assert 'data-job-id="deferred"' in deferred.text
    assert 'data-job-id="queued"' not in deferred.text


async def test_the_mount_root_without_a_slash_redirects_to_it(
    queue: MockArqQueue,
) -> None:
    async with browser_client(queue) as client:
        response = await client.get("/jobs", params={"status": "queued"})

    assert response.status_code in {307, 308}
    assert response.headers["location"].endswith("/jobs/?status=queued")


async def test_a_browser_with_no_queue_anywhere_says_how_to_give_it_one() -> None:
    app = Starlette(routes=[Mount("/jobs", JobBrowser.from_app_state())])
    async with asgi_client(app) as client:
        response = await client.get("/jobs/api/queues")

    assert response.status_code == 500
    assert "lifespan" in response.json()["detail"]


def test_queue_names_must_be_a_list() -> None:
    with pytest.raises(TypeError, match="list of names"):
        JobBrowser(MockArqQueue(), queue_names="arq:queue")


async def test_an_unknown_path_or_method_keeps_its_status(queue: MockArqQueue) -> None:
    async with browser_client(queue) as client:
        missing = await client.get("/jobs/api/nothing")
        page = await client.get("/jobs/nothing")
        method = await client.delete("/jobs/api/queues")

    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    assert page.status_code == 404
    assert "<html" in page.text
    assert method.status_code == 405


async def test_a_job_id_with_slashes_and_markup_has_working_links(
    queue: MockArqQueue,
) -> None:
    job_id = "report/2024:05 <b>"
    await queue.enqueue("echo", 1, _job_id=job_id)
    async with browser_client(queue, allow_abort=True) as client:
        index = await client.get("/jobs/")
        link = re.search(r'href="(job/report[^"]*)"', index.text)
        assert link is not None
        page = await client.get("/jobs/" + link[1].replace("&amp;", "&"))
        detail = await client.get("/jobs/api/jobs/report%2F2024%3A05%20%3Cb%3E")
        aborted = await client.post("/jobs/api/jobs/report%2F2024%3A05%20%3Cb%3E/abort")

    assert page.status_code == 200
    assert "report/2024:05 &lt;b&gt;" in page.text
    assert detail.json()["id"] == job_id
    assert aborted.json() == {"id": job_id, "abort_requested": True}
