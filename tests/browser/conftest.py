"""Job browser fixtures: an httpx client on a mounted browser, uvicorn, Chromium."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn
from httpx import AsyncClient
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.types import ASGIApp

from queue_browser import JobBrowser
from queue_core import ArqQueue
from queue_core._embedded import free_loopback_port
from tests.conftest import asgi_client, fail_or_skip

CHROMIUM = os.environ.get("QUEUE_CORE_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("QUEUE_CORE_CHROMEDRIVER", "/usr/bin/chromedriver")
SERVER_START_TIMEOUT = 20.0
NAVIGATION_TIMEOUT = 20.0


@asynccontextmanager
async def browser_client(
    queue: ArqQueue, **options: object
) -> AsyncIterator[AsyncClient]:
    """A client on a Starlette app with a `JobBrowser` mounted at ``/jobs``."""
    browser = JobBrowser(queue, **options)  # type: ignore[arg-type]
    async with asgi_client(Starlette(routes=[Mount("/jobs", browser)])) as client:
        yield client


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium (Debian's), driven through chromedriver."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            fail_or_skip(f"{path} is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,800",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def click_through(driver: webdriver.Chrome, element_id: str) -> None:
    """Click the element and wait until the page it leads to has loaded.

    A click returns before a link or form submission it starts has left the
    page, so without this wait the next lookup may still read the old page.
    The old page is marked, and the wait ends on an unmarked, loaded one;
    while the pages change over, ChromeDriver may fail a command outright
    (not only with a stale element), so every failure means "not yet".
    """
    driver.execute_script("window.queueCoreLeaving = true")
    driver.find_element(By.ID, element_id).click()
    WebDriverWait(
        driver, NAVIGATION_TIMEOUT, ignored_exceptions=(WebDriverException,)
    ).until(
        lambda page: page.execute_script(
            "return window.queueCoreLeaving === undefined"
            " && document.readyState === 'complete'"
        )
    )


def console_errors(driver: webdriver.Chrome) -> list[str]:
    """What the page logged as errors since the last call."""
    return [
        str(entry["message"])
        for entry in driver.get_log("browser")  # type: ignore[no-untyped-call]
        if entry["level"] == "SEVERE"
    ]


@pytest.fixture
def serve() -> Iterator[Callable[[ASGIApp], str]]:
    """Serve ASGI apps with uvicorn on loopback, each in a thread of its own."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: ASGIApp) -> str:
        port = free_loopback_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail("uvicorn did not start")
            time.sleep(0.02)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
