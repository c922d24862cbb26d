"""``queue-core demo``: real jobs, a real worker, and nothing left behind."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from arq.connections import RedisSettings
from click.testing import CliRunner, Result
from redis import Redis

from queue_core._cli import URL_ENV, ExitCode, cli
from queue_core._demo import (
    DEFER_SECONDS,
    DemoTaskError,
    checksum,
    explode,
    plan_demo_jobs,
    run_demo,
)
from tests.conftest import REPO_ROOT, run_python

JOBS = 40
"""Enough jobs for every kind, few enough to take about a second."""

PROCESS_TIMEOUT = 120
SERVER_ENV = "QUEUE_CORE_REDIS_SERVER"


def demo(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["demo", *args], env=env, catch_exceptions=False)


def summary(result: Result) -> Any:
    assert result.exit_code == ExitCode.OK, result.stderr
    return json.loads(result.stdout)


def assert_every_job_accounted_for(report: Any, jobs: int) -> None:
    assert report["jobs"] == jobs
    assert report["succeeded"] + report["failed"] == jobs
    assert report["unfinished"] == 0
    assert report["failed"] == report["failing_on_purpose"] >= 1
    assert report["deferred"] >= 1
    assert report["sample_result"]["success"] is True
    assert report["sample_result"]["name"] == "checksum"
    assert report["sample_failure"]["success"] is False
    assert report["sample_failure"]["result"]["type"].endswith("DemoTaskError")
    assert report["throughput_jobs_per_second"] > 0


def process_gone(pid: int) -> bool:
    """Whether ``pid`` no longer runs (a zombie counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from queue_core._cli import main; main()"
    return run_python("-c", code, *args, timeout=PROCESS_TIMEOUT)


# The example jobs


def test_the_plan_mixes_a_few_failing_and_deferred_jobs_into_the_checksums() -> None:
    for count in (3, 40, 199, 200, 1000, 1001):
        jobs = plan_demo_jobs(count)
        kinds = Counter("deferred" if job.defer_by else job.task_name for job in jobs)
        special = max(1, count // 200)
        assert len(jobs) == count
        assert kinds == {
            "explode": special,
            "deferred": special,
            "checksum": count - 2 * special,
        }
        assert [job.args for job in jobs] == [(n,) for n in range(count)]
        assert {job.defer_by for job in jobs} == {None, DEFER_SECONDS}


def test_one_or_two_jobs_all_succeed() -> None:
    for count in (1, 2):
        assert {job.task_name for job in plan_demo_jobs(count)} == {"checksum"}


async def test_the_tasks_compute_a_checksum_or_fail_on_purpose() -> None:
    digest = await checksum({}, 7)
    assert digest == await checksum({}, 7) != await checksum({}, 8)
    assert int(digest, 16) >= 0
    with pytest.raises(DemoTaskError, match="job 7 failed on purpose"):
        await explode({}, 7)


@pytest.mark.redis
async def test_run_demo_reports_progress_until_every_job_finished() -> None:
    seen: list[tuple[int, int]] = []
    report = await run_demo(5, on_progress=lambda *step: seen.append(step))
    assert seen[-1] == (5, 5)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert report.succeeded + report.failed == 5
    assert report.server_pid is not None
    assert process_gone(report.server_pid)


# The command, embedded


@pytest.mark.redis
def test_the_embedded_demo_runs_every_job_and_stops_its_server() -> None:
    report = summary(demo("-n", str(JOBS), "--json"))
    assert_every_job_accounted_for(report, JOBS)
    server = report["redis"]
    assert server["embedded"] is True
    assert server["url"] is None
    assert process_gone(server["pid"])
    assert not Path(server["directory"]).exists()
    assert report["worker"] == "queue-core"


@pytest.mark.redis
def test_the_demo_runs_on_arqs_own_worker_when_asked_to_compare() -> None:
    report = summary(demo("-n", str(JOBS), "--arq-worker", "--json"))
    assert_every_job_accounted_for(report, JOBS)
    assert report["worker"] == "arq"
    assert "in-process arq worker" in demo("-n", "3", "--arq-worker").stdout


@pytest.mark.redis
def test_the_demo_prints_progress_and_a_summary_table() -> None:
    printed = demo("-n", str(JOBS))
    assert printed.exit_code == ExitCode.OK
    assert printed.stderr.splitlines()[-1] == f"{JOBS}/{JOBS} jobs finished"
    lines = printed.stdout.splitlines()
    assert lines[0].startswith(f"{JOBS} jobs on an embedded server, ")
    assert lines[2].split() == ["Outcome", "Jobs"]
    assert lines[3].split()[0] == "succeeded"
    assert lines[6].split() == ["total", str(JOBS)]
    assert len({len(line) for line in lines[2:7]}) == 1
    labels = [line.split("  ")[0] for line in lines[8:]]
    assert labels == [
        "Enqueued in",
        "Elapsed",
        "Throughput",
        "Sample result",
        "Sample failure",
    ]
    assert "DemoTaskError: job" in lines[-1]


@pytest.mark.redis
def test_jobs_that_outlast_the_timeout_are_reported_and_exit_1() -> None:
    # The deferred jobs cannot run before DEFER_SECONDS, far beyond this.
    cut_short = demo("-n", str(JOBS), "--timeout", "0.2", "--json")
    assert cut_short.exit_code == ExitCode.FAILURE
    assert cut_short.stdout, cut_short.stderr
    report = json.loads(cut_short.stdout)
    assert report["unfinished"] >= report["deferred"] >= 1
    assert report["succeeded"] + report["failed"] + report["unfinished"] == JOBS
    assert "did not finish within 0.2 s" in cut_short.stderr
    assert process_gone(report["redis"]["pid"])
    assert not Path(report["redis"]["directory"]).exists()


def test_no_redis_server_binary_is_a_configuration_error(tmp_path: Path) -> None:
    missing = demo("-n", "1", env={SERVER_ENV: str(tmp_path / "no-redis-server")})
    assert missing.exit_code == ExitCode.CONNECTION
    assert missing.stderr.startswith("Error: embedded redis-server: cannot start")
    assert missing.stderr.count("\n") == 1


# The command, on an existing Redis


def test_the_demo_on_an_existing_redis_deletes_every_key_it_wrote(
    redis_url: str,
    redis_settings: RedisSettings,  # noqa: ARG001 - it empties Redis
) -> None:
    client = Redis.from_url(redis_url)
    try:
        client.set("someone-elses-key", "kept")
        report = summary(demo("-n", str(JOBS), "--redis-url", redis_url, "--json"))
        left = sorted(client.scan_iter(count=1000))
    finally:
        client.close()
    assert_every_job_accounted_for(report, JOBS)
    assert report["redis"]["embedded"] is False
    assert report["redis"]["url"] == redis_url
    assert report["redis"]["pid"] is None
    assert left == [b"someone-elses-key"]


def test_the_demo_ignores_the_redis_url_in_the_environment(redis_url: str) -> None:
    report = summary(demo("-n", "3", "--json", env={URL_ENV: redis_url}))
    assert report["redis"]["embedded"] is True


# The console script, as a process


@pytest.mark.redis
def test_the_console_script_exits_0_and_leaves_no_redis_server_running() -> None:
    completed = run_cli("demo", "-n", str(JOBS), "--json")
    assert completed.returncode == ExitCode.OK, completed.stderr
    report = json.loads(completed.stdout)
    assert_every_job_accounted_for(report, JOBS)
    assert process_gone(report["redis"]["pid"])
    assert not Path(report["redis"]["directory"]).exists()


def child_pids(pid: int) -> list[int]:
    """Children of every thread of ``pid`` (the server starts in a thread)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(FileNotFoundError):
            found += [int(child) for child in children.read_text().split()]
    return found


@pytest.mark.redis
@pytest.mark.skipif(
    not Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
    reason="needs Linux's /proc/PID/task/PID/children",
)
def test_sigterm_stops_the_demo_and_its_redis_server() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from queue_core._cli import main; main()",
            "demo",
            "-n",
            "20000",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + PROCESS_TIMEOUT
        server = None
        while server is None:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no redis-server started: {process.communicate()}")
            children = child_pids(process.pid)
            server = children[0] if children else None
            time.sleep(0.05)
        directory = Path(f"/proc/{server}/cwd").resolve()
        # The first progress line: server and worker are up, jobs enqueued.
        assert process.stderr is not None
        first_line = process.stderr.readline()
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=PROCESS_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "jobs finished" in first_line
    assert process.returncode == ExitCode.FAILURE
    assert rest.strip().splitlines()[-1] == "Aborted!"
    assert process_gone(server)
    assert directory.name.startswith("queue-core-redis-")
    assert not directory.exists()
