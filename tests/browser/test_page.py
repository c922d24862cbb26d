"""The page in a real headless Chromium, served by uvicorn over real Redis."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from arq.connections import RedisSettings
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from queue_browser import JobBrowser
from queue_core import JobMetadata, JobSpec, RedisArqQueue
from queue_starlette import arq_lifespan
from tests.browser.conftest import click_through, console_errors
from tests.conftest import WorkerProcess

QUEUE = "browser:page"
XSS = "<img src=x onerror=alert(1)>"
WAIT = 20.0

pytestmark = pytest.mark.worker


@pytest.fixture
def site(redis_settings: RedisSettings, serve: Callable[[ASGIApp], str]) -> str:
    """An app whose lifespan owns the queue, with the browser mounted twice:
    ``/jobs`` may abort and retry, ``/view`` is read-only."""
    app = Starlette(
        lifespan=arq_lifespan(
            mode="production", redis_settings=redis_settings, default_queue_name=QUEUE
        ),
        routes=[
            Mount(
                "/jobs", JobBrowser.from_app_state(allow_abort=True, allow_retry=True)
            ),
            Mount("/view", JobBrowser.from_app_state(title="Read-only")),
        ],
    )
    return serve(app)


def _enqueue(settings: RedisSettings, *jobs: JobSpec) -> list[JobMetadata]:
    async def main() -> list[JobMetadata]:
        queue = await RedisArqQueue.initialize(settings, default_queue_name=QUEUE)
        async with queue:
            outcomes = await queue.enqueue_many(jobs)
        return [job for job in outcomes if isinstance(job, JobMetadata)]

    return asyncio.run(main())


def _rows(driver: webdriver.Chrome) -> list[str]:
    return [
        str(row.get_attribute("data-job-id"))
        for row in driver.find_elements(By.CSS_SELECTOR, "#jobs tbody tr")
    ]


def _no_alert(driver: webdriver.Chrome) -> bool:
    try:
        driver.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


def test_the_page_shows_jobs_filters_them_and_runs_no_injected_script(
    chromium: webdriver.Chrome, site: str, redis_settings: RedisSettings
) -> None:
    hostile, later = _enqueue(
        redis_settings,
        JobSpec("echo", (XSS,)),
        JobSpec("echo", ("later",), defer_by=600),
    )

    chromium.get(f"{site}/jobs/")

    assert _rows(chromium) == [hostile.id, later.id]
    cell = chromium.find_element(
        By.CSS_SELECTOR, f'tr[data-job-id="{hostile.id}"] td.args'
    )
    assert XSS in cell.text
    assert (
        chromium.execute_script("return document.querySelectorAll('main img').length")
        == 0
    )
    click_through(chromium, "status-deferred")
    assert _rows(chromium) == [later.id]
    assert "status=deferred" in chromium.current_url
    chromium.get(f"{site}/jobs/job/{hostile.id}?queue={QUEUE}")
    assert XSS in chromium.find_element(By.ID, "args").text
    assert _no_alert(chromium)
    assert console_errors(chromium) == []


def test_a_running_job_is_aborted_from_its_page_only_where_allowed(
    chromium: webdriver.Chrome,
    site: str,
    redis_settings: RedisSettings,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    arq_worker(QUEUE)
    (job,) = _enqueue(redis_settings, JobSpec("sleep", (60,)))
    page = f"job/{job.id}?queue={QUEUE}"
    deadline = time.monotonic() + WAIT
    while chromium.find_elements(By.ID, "status") == [] or (
        chromium.find_element(By.ID, "status").text != "in progress"
    ):
        assert time.monotonic() < deadline, "the worker never started the job"
        chromium.get(f"{site}/view/{page}")

    assert chromium.find_elements(By.ID, "abort") == []
    chromium.get(f"{site}/jobs/{page}")
    click_through(chromium, "abort")
    assert chromium.find_elements(By.ID, "abort-requested")
    while chromium.find_element(By.ID, "status").text != "aborted":
        assert time.monotonic() < deadline, "the job was not aborted"
        time.sleep(0.1)
        chromium.refresh()
    assert chromium.find_elements(By.ID, "abort") == []
    assert "CancelledError" in chromium.find_element(By.ID, "result").text
    assert console_errors(chromium) == []


PROGRESS_SETTINGS = "tests.progress_workers.ProgressSettings"


def _until_status(driver: webdriver.Chrome, url: str, status: str) -> None:
    """Load the job page until it shows the status."""
    deadline = time.monotonic() + WAIT
    while True:
        driver.get(url)
        shown = driver.find_elements(By.ID, "status")
        if shown and shown[0].text == status:
            return
        assert time.monotonic() < deadline, f"the job never became {status}"
        time.sleep(0.1)


def test_a_running_jobs_progress_bar_shows_what_it_reported(
    chromium: webdriver.Chrome,
    site: str,
    redis_settings: RedisSettings,
    arq_worker: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    arq_worker(QUEUE, settings_path=PROGRESS_SETTINGS, program="queue-core")
    gate = tmp_path / "gate"
    (job,) = _enqueue(
        redis_settings, JobSpec("report_then_wait", (str(gate), 1, 4, "step one"))
    )
    bar = f'tr[data-job-id="{job.id}"] progress'
    deadline = time.monotonic() + WAIT
    while not chromium.find_elements(By.CSS_SELECTOR, bar):
        assert time.monotonic() < deadline, "the job never reported progress"
        chromium.get(f"{site}/view/")

    row = chromium.find_element(By.CSS_SELECTOR, f'tr[data-job-id="{job.id}"]')
    assert row.find_element(By.CSS_SELECTOR, "progress").get_attribute("value") == (
        "0.25"
    )
    assert row.find_element(By.CSS_SELECTOR, ".progress-text").text == (
        "1 of 4 (25%): step one"
    )
    page = f"{site}/view/job/{job.id}?queue={QUEUE}"
    chromium.get(page)
    assert chromium.execute_script(
        "return document.getElementById('progress').position"
    ) == pytest.approx(0.25)
    gate.touch()
    _until_status(chromium, page, "succeeded")
    assert chromium.find_element(By.ID, "progress").get_attribute("value") == "1"
    assert "4 of 4 (100%): finished" in chromium.find_element(By.TAG_NAME, "dl").text
    assert console_errors(chromium) == []


def test_a_failed_job_shows_its_traceback_and_is_retried_only_where_allowed(
    chromium: webdriver.Chrome,
    site: str,
    redis_settings: RedisSettings,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    arq_worker(QUEUE, settings_path=PROGRESS_SETTINGS, program="queue-core")
    (job,) = _enqueue(redis_settings, JobSpec("fail", (XSS,)))
    page = f"job/{job.id}?queue={QUEUE}"
    _until_status(chromium, f"{site}/view/{page}", "failed")

    assert chromium.find_elements(By.ID, "retry") == []
    assert chromium.find_element(By.ID, "error-message").text == XSS
    traceback = chromium.find_element(By.ID, "traceback").text
    assert "raise TaskFailedError(message)" in traceback
    chromium.get(f"{site}/jobs/{page}")
    click_through(chromium, "retry")
    assert chromium.find_elements(By.ID, "retried")
    new_id = chromium.current_url.split("/job/")[1].split("?")[0]
    assert new_id != job.id
    _until_status(chromium, chromium.current_url, "failed")
    assert chromium.find_element(By.ID, "error-message").text == XSS
    chromium.get(f"{site}/jobs/{page}")
    assert chromium.find_element(By.ID, "status").text == "failed"
    assert _no_alert(chromium)
    assert console_errors(chromium) == []


def test_the_workers_panel_lists_the_workers_serving_the_queue(
    chromium: webdriver.Chrome,
    site: str,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    chromium.get(f"{site}/view/")
    assert chromium.find_elements(By.ID, "no-workers")

    worker = arq_worker(QUEUE, program="queue-core")
    chromium.get(f"{site}/view/")

    (row,) = chromium.find_elements(By.CSS_SELECTOR, "#workers tbody tr")
    cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1] == "queue-core"
    assert cells[3] == str(worker.process.pid)
    assert str(row.get_attribute("data-worker-id")).startswith(f"{cells[2]}:")
    worker.stop()
    chromium.get(f"{site}/view/")
    assert chromium.find_elements(By.ID, "no-workers")
    assert console_errors(chromium) == []
