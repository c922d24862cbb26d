"""``queue-core browse`` and ``demo --browse``, run as an operator runs them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from arq.connections import RedisSettings
from click.testing import CliRunner
from redis import Redis

from queue_core._cli import ExitCode, cli
from queue_core._embedded import free_loopback_port, stop_process
from tests.conftest import REPO_ROOT

START_TIMEOUT = 60.0
MAIN = "from queue_core._cli import main; main()"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""Requests go straight to loopback, whatever proxy the environment names."""


@contextmanager
def command(*args: str, log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run ``queue-core ARGS --port P`` until it serves; yield it and its URL."""
    port = free_loopback_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", MAIN, *args, "--port", str(port)],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while f"Job browser at {url}" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield process, url
    finally:
        stop_process(process, timeout=15)


def get(url: str) -> Any:
    with OPENER.open(url, timeout=10) as response:
        return json.load(response)


def every_finished_job(url: str) -> list[dict[str, Any]]:
    """Every page of ``api/jobs?status=complete``, following ``Link: next``."""
    jobs: list[dict[str, Any]] = []
    page: str | None = url + "api/jobs?status=complete&limit=500"
    while page is not None:
        with OPENER.open(page, timeout=10) as response:
            jobs.extend(json.load(response)["jobs"])
            link = response.headers.get("Link")
        page = None if link is None else url + "api/jobs" + link[1 : link.index(">")]
    return jobs


def demo_job_ids(url: str) -> set[str]:
    """The ids of the demo's own finished jobs, as the browser lists them.

    They were enqueued in one call, before any that browsing adds (a
    checksum among those may be finished already). Counted by id, and read
    again for a while until all 50 show: while the database grows, SCAN
    may list a key twice, or not yet.
    """
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        finished = every_finished_job(url)
        first = min(job["enqueue_time"] for job in finished)
        ids = {job["id"] for job in finished if job["enqueue_time"] == first}
        if len(ids) >= 50 or time.monotonic() > deadline:
            return ids
        time.sleep(0.2)


def post(url: str) -> int:
    request = urllib.request.Request(url, method="POST")  # noqa: S310 - loopback
    try:
        with OPENER.open(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_browse_serves_a_read_only_browser_on_loopback_until_interrupted(
    redis_url: str, redis_settings: RedisSettings, tmp_path: Path
) -> None:
    client = Redis.from_url(redis_url)
    client.zadd("browse:other", {"a": 1})
    client.close()
    log = tmp_path / "browse.log"
    with command(
        "browse",
        "--redis-url",
        redis_url,
        "--queue",
        "browse:q",
        "--also",
        "browse:other",
        log=log,
    ) as (process, url):
        queues = get(url + "api/queues")
        refused = post(url + "api/jobs/nope/abort?queue=browse:q")
        with OPENER.open(url, timeout=10) as response:
            page = response.read().decode()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=15) == 0

    assert [entry["name"] for entry in queues] == ["browse:q", "browse:other"]
    assert queues[1]["depth"] == 1
    assert refused == 403
    assert redis_url not in page
    assert str(redis_settings.port) not in page
    assert redis_url not in log.read_text()


def test_browse_with_allow_abort_accepts_aborts(
    redis_url: str, redis_settings: RedisSettings, tmp_path: Path
) -> None:
    del redis_settings  # empties Redis
    with command(
        "browse", "--redis-url", redis_url, "--allow-abort", log=tmp_path / "log"
    ) as (_, url):
        assert post(url + "api/jobs/nope/abort") == 404


def test_browse_with_allow_retry_accepts_retries_and_says_so(
    redis_url: str, redis_settings: RedisSettings, tmp_path: Path
) -> None:
    del redis_settings  # empties Redis
    log = tmp_path / "log"
    with command("browse", "--redis-url", redis_url, "--allow-retry", log=log) as (
        _,
        url,
    ):
        assert post(url + "api/jobs/nope/retry") == 404
        assert post(url + "api/jobs/nope/abort") == 403

    assert "(retrying allowed)" in log.read_text()


def test_demo_browse_keeps_the_worker_running_jobs_until_interrupted(
    tmp_path: Path,
) -> None:
    log = tmp_path / "demo.log"
    with command("demo", "--browse", "-n", "50", log=log) as (process, url):
        (queue,) = get(url + "api/queues")
        demo_jobs = demo_job_ids(url)
        deadline = time.monotonic() + START_TIMEOUT
        while not any(
            job["name"] == "nap"
            for job in get(url + "api/jobs?status=complete")["jobs"]
        ):
            assert time.monotonic() < deadline, "no new job finished while browsing"
            time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0

    assert queue["name"].startswith("queue-core:demo:")
    assert "total                  50" in log.read_text()
    assert len(demo_jobs) == 50
    assert "50 jobs on an embedded server, " in log.read_text()


def test_browse_on_a_port_in_use_fails_with_one_line(
    redis_url: str, redis_settings: RedisSettings
) -> None:
    del redis_settings  # empties Redis
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            cli, ["browse", "--redis-url", redis_url, "--port", str(port)]
        )

    assert result.exit_code == ExitCode.FAILURE
    assert result.stderr.strip() == (
        f"Error: cannot serve on 127.0.0.1:{port}: Address already in use"
    )
