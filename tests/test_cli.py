"""The ``queue-core`` command line against the suite's Redis and real workers."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import entry_points
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest
from arq.connections import RedisSettings, create_pool
from arq.worker import Worker
from click.testing import CliRunner, Result
from redis import Redis
from typing_extensions import override

from queue_core import RedisArqQueue
from queue_core._cli import PASSWORD_ENV, SERIALIZER_ENV, URL_ENV, ExitCode, cli, main
from tests.conftest import REPO_ROOT, WorkerProcess

SENTINEL_PASSWORD = "S3ntinel-Passw0rd"
"""A password no output may ever contain."""

WAIT = "30"
"""Seconds a command may wait for a real worker; a bound, never expected."""

Invoke = Callable[..., Result]

ARQ_HEALTH_CHECK_INTERVAL = 3600
"""arq's default health_check_interval, in seconds."""


@pytest.fixture
def invoke(redis_url: str, redis_settings: RedisSettings) -> Invoke:  # noqa: ARG001 - it empties Redis
    """Run ``queue-core`` in-process, on the suite's (emptied) Redis."""
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(
            cli,
            list(args),
            env={URL_ENV: redis_url, **(env or {})},
            catch_exceptions=False,
        )

    return run


def document(result: Result) -> Any:
    """The one JSON document a ``--json`` command printed."""
    assert result.exit_code == ExitCode.OK, result.stderr
    return json.loads(result.stdout)


def error_line(result: Result) -> str:
    """The single line a failing command printed on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


OUTPUTS = ["text", "json"]
"""How a command prints, errors included: ``--json`` or not."""


def flags(output: str) -> list[str]:
    """The command-line flags that ask for ``output``."""
    return ["--json"] if output == "json" else []


def error_message(result: Result, output: str) -> str:
    """The one error a failing command printed on stderr, in ``output``'s form.

    Text is one ``Error: ...`` line; JSON is one line holding
    ``{"error": ..., "exit_code": ...}`` with the command's exit status.
    """
    if output == "text":
        return error_line(result).removeprefix("Error: ")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    error = json.loads(lines[0])
    assert error == {"error": error["error"], "exit_code": result.exit_code}
    assert isinstance(error["error"], str)
    assert error["error"]
    return error["error"]


def enqueue_id(invoke: Invoke, *args: str) -> str:
    job_id: str = document(invoke("enqueue", *args, "--json"))["id"]
    return job_id


def wait_for_status(invoke: Invoke, job_id: str, status: str) -> None:
    """Poll ``status`` until the job has ``status`` (or fail after a bound)."""
    deadline = time.monotonic() + float(WAIT)
    while document(invoke("status", job_id, "--json"))["status"] != status:
        if time.monotonic() > deadline:
            pytest.fail(f"job {job_id} never became {status}")
        time.sleep(0.05)


def url_with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f":{password}@{host}").geturl()


def refused_url(password: str) -> str:
    """A loopback URL where nothing listens (a port just freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://:{password}@127.0.0.1:{port}/0"


def column_starts(line: str, cells: list[str]) -> list[int]:
    """Where each of ``cells`` starts in a table line, left to right."""
    starts, position = [], 0
    for cell in cells:
        position = line.index(cell, position)
        starts.append(position)
        position += len(cell)
    return starts


# enqueue


def test_enqueue_passes_each_argument_as_json_when_it_parses_else_as_text(
    invoke: Invoke,
) -> None:
    raw = ["1", "2.5", "true", "null", '"7"', "[1, 2]", '{"a": 1}', "hello", "NaN"]
    job = document(invoke("enqueue", "echo", *raw, "--json"))
    assert job["args"] == [1, 2.5, True, None, "7", [1, 2], {"a": 1}, "hello", "NaN"]
    assert job["name"] == "echo"
    assert job["status"] == "queued"


def test_enqueue_takes_kwargs_a_job_id_a_queue_and_a_deferral(invoke: Invoke) -> None:
    job = document(
        invoke(
            "enqueue",
            "echo",
            "--kwargs",
            '{"name": "x", "n": 2}',
            "--job-id",
            "fixed-id",
            "--queue",
            "reports",
            "--defer-by",
            "60",
            "--json",
        )
    )
    stored = document(invoke("status", "fixed-id", "--queue", "reports", "--json"))
    assert job == stored
    assert stored["kwargs"] == {"name": "x", "n": 2}
    assert stored["queue_name"] == "reports"
    assert stored["status"] == "deferred"


def test_enqueue_accepts_arguments_that_start_with_a_dash_after_a_double_dash(
    invoke: Invoke,
) -> None:
    job = document(invoke("enqueue", "add", "--json", "--", "-1", "-2"))
    assert job["args"] == [-1, -2]


def test_enqueue_refuses_an_existing_job_id_with_status_1(invoke: Invoke) -> None:
    invoke("enqueue", "noop", "--job-id", "twice")
    again = invoke("enqueue", "noop", "--job-id", "twice")
    assert again.exit_code == ExitCode.FAILURE
    assert "twice" in error_line(again)
    assert again.stdout == ""


@pytest.mark.parametrize(
    "kwargs", ["[1, 2]", "{not json", '{"_job_id": "x"}', '{"_queue_name": "q"}']
)
def test_enqueue_refuses_kwargs_that_are_not_task_keywords_as_usage(
    invoke: Invoke, kwargs: str
) -> None:
    refused = invoke("enqueue", "echo", "--kwargs", kwargs)
    assert refused.exit_code == ExitCode.USAGE
    assert "--kwargs" in refused.stderr


def test_enqueue_prints_the_new_job_as_an_aligned_table(invoke: Invoke) -> None:
    shown = invoke("enqueue", "add", "2", "3")
    assert shown.exit_code == ExitCode.OK
    lines = shown.stdout.splitlines()
    labels = [line.split("  ")[0] for line in lines]
    assert labels == ["Job id", "Task", "Status", "Queue", "Args", "Kwargs", "Enqueued"]
    value_starts = {
        len(line) - len(line[len(label) :].lstrip())
        for line, label in zip(lines, labels, strict=True)
    }
    assert len(value_starts) == 1
    assert "[2, 3]" in lines[4]


# status, result


@pytest.mark.worker
def test_a_job_enqueued_here_runs_on_a_real_worker_and_its_result_is_read(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker()
    job_id = enqueue_id(invoke, "add", "2", "3")
    done = document(invoke("result", job_id, "--wait", WAIT, "--json"))
    assert done["success"] is True
    assert done["result"] == 5
    assert done["status"] == "complete"
    assert document(invoke("status", job_id, "--json"))["status"] == "complete"
    table = invoke("result", job_id)
    assert re.search(r"^Success\s+yes$", table.stdout, re.MULTILINE)
    assert re.search(r"^Result\s+5$", table.stdout, re.MULTILINE)


@pytest.mark.worker
def test_the_result_of_a_failed_job_shows_its_error_and_exits_0(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker()
    job_id = enqueue_id(invoke, "fail", "boom")
    failed = document(invoke("result", job_id, "--wait", WAIT, "--json"))
    assert failed["success"] is False
    assert failed["result"] == {
        "type": "tests.workers.TaskFailedError",
        "message": "boom",
    }
    table = invoke("result", job_id)
    assert table.exit_code == ExitCode.OK
    assert re.search(r"^Success\s+no$", table.stdout, re.MULTILINE)
    assert re.search(
        r"^Error\s+tests\.workers\.TaskFailedError: boom$", table.stdout, re.MULTILINE
    )


def test_the_result_of_an_unfinished_job_exits_4(invoke: Invoke) -> None:
    job_id = enqueue_id(invoke, "noop")
    unfinished = invoke("result", job_id)
    assert unfinished.exit_code == ExitCode.RESULT_UNAVAILABLE
    assert "--wait" in error_line(unfinished)


def test_waiting_for_a_result_that_does_not_come_in_time_exits_4(
    invoke: Invoke,
) -> None:
    job_id = enqueue_id(invoke, "noop")
    waited = invoke("result", job_id, "--wait", "0.2")
    assert waited.exit_code == ExitCode.RESULT_UNAVAILABLE
    assert "did not finish within 0.2 s" in error_line(waited)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("command", ["status", "result", "abort", "retry"])
def test_a_job_that_does_not_exist_exits_3(
    invoke: Invoke, command: str, output: str
) -> None:
    missing = invoke(command, "no-such-job", *flags(output))
    assert missing.exit_code == ExitCode.JOB_NOT_FOUND
    assert "no-such-job" in error_message(missing, output)
    assert missing.stdout == ""


def test_a_job_in_another_queue_is_not_found(invoke: Invoke) -> None:
    job_id = enqueue_id(invoke, "noop", "--queue", "elsewhere")
    assert invoke("status", job_id).exit_code == ExitCode.JOB_NOT_FOUND
    assert invoke("status", job_id, "--queue", "elsewhere").exit_code == ExitCode.OK


# abort


@pytest.mark.worker
def test_abort_stops_a_running_job_and_exits_0(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker()
    job_id = enqueue_id(invoke, "sleep", "60")
    wait_for_status(invoke, job_id, "in_progress")
    aborted = document(invoke("abort", job_id, "--timeout", WAIT, "--json"))
    assert aborted == {"id": job_id, "queue_name": "arq:queue", "aborted": True}
    outcome = document(invoke("result", job_id, "--json"))
    assert outcome["success"] is False
    assert outcome["result"]["type"] == "asyncio.exceptions.CancelledError"


@pytest.mark.worker
def test_aborting_a_finished_job_exits_1(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker()
    job_id = enqueue_id(invoke, "noop")
    document(invoke("result", job_id, "--wait", WAIT, "--json"))
    late = invoke("abort", job_id)
    assert late.exit_code == ExitCode.FAILURE
    assert "already finished" in error_line(late)


def test_an_abort_no_worker_carries_out_exits_1_after_its_timeout(
    invoke: Invoke,
) -> None:
    job_id = enqueue_id(invoke, "noop")
    unheard = invoke("abort", job_id, "--timeout", "0.3")
    assert unheard.exit_code == ExitCode.FAILURE
    assert "allow_abort_jobs=True" in error_line(unheard)


# jobs, stats


def test_jobs_lists_unfinished_jobs_in_the_order_a_worker_takes_them(
    invoke: Invoke,
) -> None:
    # Jobs enqueued in the same millisecond are ordered by id: pick ids that
    # sort as they were enqueued.
    later = enqueue_id(invoke, "echo", "later", "--defer-by", "60")
    first = enqueue_id(invoke, "echo", "first", "--job-id", "job-1")
    second = enqueue_id(invoke, "add", "1", "2", "--job-id", "job-2")
    listing = document(invoke("jobs", "--json"))
    assert [job["id"] for job in listing["jobs"]] == [first, second, later]
    assert [job["status"] for job in listing["jobs"]] == [
        "queued",
        "queued",
        "deferred",
    ]
    assert listing["depth"] == 3
    assert listing["queue_name"] == "arq:queue"


def test_jobs_prints_an_aligned_table_with_a_count(invoke: Invoke) -> None:
    ids = [
        enqueue_id(invoke, "add", str(n), "1", "--job-id", f"j{n}") for n in range(3)
    ]
    table = invoke("jobs").stdout.splitlines()
    assert table[0].split() == ["ID", "TASK", "STATUS", "ENQUEUED", "ARGS", "KWARGS"]
    header = column_starts(table[0], ["ID", "TASK", "STATUS"])
    for line, job_id in zip(table[1:4], ids, strict=True):
        assert column_starts(line, [job_id, "add", "queued"]) == header
    assert table[4] == "3 shown of 3 unfinished in queue arq:queue."


def test_jobs_filters_by_status_then_limits_what_it_shows(invoke: Invoke) -> None:
    for n in range(3):
        enqueue_id(invoke, "echo", str(n))
    deferred = [
        enqueue_id(invoke, "echo", "d", "--defer-by", "60", "--job-id", f"d{n}")
        for n in range(2)
    ]
    shown = document(invoke("jobs", "--status", "deferred", "--limit", "1", "--json"))
    assert [job["id"] for job in shown["jobs"]] == deferred[:1]
    everything = document(invoke("jobs", "--limit", "0", "--json"))
    assert len(everything["jobs"]) == everything["depth"] == 5


def test_jobs_says_so_when_there_is_nothing_to_list(invoke: Invoke) -> None:
    empty = invoke("jobs", "--status", "in_progress")
    assert empty.exit_code == ExitCode.OK
    assert empty.stdout == "No in progress jobs in queue arq:queue.\n"


@pytest.mark.worker
def test_stats_counts_a_queues_jobs_by_status_and_the_results_kept(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    started = time.monotonic()
    arq_worker()
    done = enqueue_id(invoke, "noop")
    document(invoke("result", done, "--wait", WAIT, "--json"))
    running = enqueue_id(invoke, "sleep", "60")
    wait_for_status(invoke, running, "in_progress")
    for _ in range(2):
        enqueue_id(invoke, "noop", "--queue", "idle")
    enqueue_id(invoke, "noop", "--queue", "idle", "--defer-by", "60")

    busy = document(invoke("stats", "--json"))
    idle = document(invoke("stats", "--queue", "idle", "--json"))
    assert busy["depth"] == busy["in_progress"] == 1
    assert busy["queued"] == busy["deferred"] == 0
    assert busy["results_kept"] == idle["results_kept"] == 1
    health = busy["worker_health_check"]
    assert "j_complete=" in health["record"]
    assert 0 <= health["age_seconds"] <= time.monotonic() - started + 1
    assert health["interval_seconds"] == ARQ_HEALTH_CHECK_INTERVAL
    assert health["note"].startswith("written ")
    assert (idle["depth"], idle["queued"], idle["deferred"], idle["in_progress"]) == (
        3,
        2,
        1,
        0,
    )
    assert idle["worker_health_check"] is None
    table = invoke("stats", "--queue", "idle").stdout
    assert re.search(r"^Queued\s+2$", table, re.MULTILINE)
    assert re.search(r"^Results kept\s+1 \(all queues\)$", table, re.MULTILINE)
    assert re.search(r"^Worker health\s+none recorded$", table, re.MULTILINE)


async def _record_health(
    redis_settings: RedisSettings, interval: float, written_ago: float
) -> None:
    """Have arq's own `Worker` write its health-check record, then age it.

    Shortening the record's time to live by ``written_ago`` seconds is what
    that much time passing does to it.
    """
    pool = await create_pool(redis_settings)
    try:
        worker = Worker(
            functions=[noop_task],
            redis_pool=pool,
            health_check_interval=interval,
            handle_signals=False,
        )
        await worker.record_health()
        key = worker.health_check_key
        await pool.pexpire(key, await pool.pttl(key) - int(written_ago * 1000))
    finally:
        await pool.aclose()


async def noop_task(ctx: dict[Any, Any]) -> None:
    """A function for the `Worker` that writes health records; never run."""


def stats_health(invoke: Invoke, *args: str) -> tuple[dict[str, Any], str]:
    """The health-check part of ``stats --json``, and the table's age line."""
    health = document(invoke("stats", *args, "--json"))["worker_health_check"]
    table = invoke("stats", *args).stdout
    (age_line,) = re.findall(r"^Health age\s+(.*)$", table, re.MULTILINE)
    return health, age_line


def test_stats_says_how_long_ago_the_health_record_was_written_and_that_it_is_dated(
    invoke: Invoke, redis_settings: RedisSettings
) -> None:
    asyncio.run(_record_health(redis_settings, ARQ_HEALTH_CHECK_INTERVAL, 52 * 60))

    health, age_line = stats_health(invoke)

    assert 52 * 60 <= health["age_seconds"] < ARQ_HEALTH_CHECK_INTERVAL
    assert health["note"] == age_line
    assert age_line == (
        "written 52 min ago; its counts may be out of date "
        "(workers rewrite it every 60 min; the counts above are live)"
    )


def test_stats_reads_the_age_of_a_record_with_the_workers_own_interval(
    invoke: Invoke, redis_settings: RedisSettings
) -> None:
    asyncio.run(_record_health(redis_settings, 120, 45))

    health, age_line = stats_health(invoke, "--health-check-interval", "120")

    assert 45 <= health["age_seconds"] < 120
    assert health["interval_seconds"] == 120
    assert age_line.startswith("written ")
    assert age_line.endswith(
        "(workers rewrite it every 2 min; the counts above are live)"
    )


def test_stats_says_the_age_is_unknown_when_the_interval_given_is_too_short(
    invoke: Invoke, redis_settings: RedisSettings
) -> None:
    asyncio.run(_record_health(redis_settings, ARQ_HEALTH_CHECK_INTERVAL, 0))

    health, age_line = stats_health(invoke, "--health-check-interval", "60")

    assert health["age_seconds"] is None
    assert age_line == (
        "age unknown: it outlives a 60 s health-check interval; "
        "pass the workers' interval with --health-check-interval"
    )


def test_stats_says_a_record_that_never_expires_was_not_written_by_arq(
    invoke: Invoke, redis_url: str
) -> None:
    client = Redis.from_url(redis_url)
    try:
        client.set("arq:queue:health-check", "written by hand")
    finally:
        client.close()

    health, age_line = stats_health(invoke)

    assert health["record"] == "written by hand"
    assert health["age_seconds"] is None
    assert age_line == (
        "age unknown: the record never expires, so arq's worker did not write it"
    )


# progress, tracebacks, retry, workers

PROGRESS_SETTINGS = "tests.progress_workers.ProgressSettings"


@pytest.mark.worker
def test_status_shows_the_progress_a_job_reported(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker(settings_path=PROGRESS_SETTINGS, program="queue-core")
    job_id = enqueue_id(invoke, "report", "3", "4", "resizing \x1b[2J")
    document(invoke("result", job_id, "--wait", WAIT, "--json"))

    progress = document(invoke("status", job_id, "--json"))["progress"]
    table = invoke("status", job_id).stdout

    assert progress["done"] == 3
    assert progress["total"] == 4
    assert progress["fraction"] == 0.75
    assert progress["message"] == "resizing \x1b[2J"
    assert progress["updated_at"].endswith("+00:00")
    assert re.search(
        r"^Progress\s+3 of 4 \(75%\): resizing \\x1b\[2J \(reported .+\)$",
        table,
        re.MULTILINE,
    )
    assert "\x1b" not in table


def test_status_shows_no_progress_for_a_job_that_reported_none(
    invoke: Invoke,
) -> None:
    job_id = enqueue_id(invoke, "noop")

    assert document(invoke("status", job_id, "--json"))["progress"] is None
    assert "Progress" not in invoke("status", job_id).stdout


@pytest.mark.worker
def test_the_result_of_a_failed_job_shows_the_traceback_queue_cores_worker_kept(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker(program="queue-core")
    job_id = enqueue_id(invoke, "fail", "boom \x07")
    failed = document(invoke("result", job_id, "--wait", WAIT, "--json"))
    table = invoke("result", job_id).stdout

    assert failed["result"] == {
        "type": "tests.workers.TaskFailedError",
        "message": "boom \x07",
    }
    assert failed["traceback"].startswith("Traceback (most recent call last):")
    assert failed["traceback"].endswith("TaskFailedError: boom \x07")
    lines = table.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("Traceback"))
    assert re.match(r"^Traceback\s+Traceback \(most recent call last\):$", lines[start])
    assert "raise TaskFailedError(message)" in table
    assert lines[-1].strip() == "tests.workers.TaskFailedError: boom \\x07"
    assert all(line.startswith(" ") for line in lines[start + 1 :])


@pytest.mark.worker
def test_the_result_of_a_job_failed_under_arqs_worker_says_no_traceback_was_kept(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker()
    job_id = enqueue_id(invoke, "fail", "boom")

    failed = document(invoke("result", job_id, "--wait", WAIT, "--json"))
    table = invoke("result", job_id).stdout

    assert failed["traceback"] is None
    assert re.search(
        r"^Traceback\s+no traceback recorded \(arq's worker keeps none\)$",
        table,
        re.MULTILINE,
    )


@pytest.mark.worker
@pytest.mark.parametrize("output", OUTPUTS)
def test_retry_runs_a_failed_job_again_as_a_new_job(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess], output: str
) -> None:
    arq_worker()
    job_id = enqueue_id(invoke, "fail", "boom", "--kwargs", "{}")
    document(invoke("result", job_id, "--wait", WAIT, "--json"))

    retried = invoke("retry", job_id, *flags(output))

    assert retried.exit_code == ExitCode.OK
    if output == "json":
        new = json.loads(retried.stdout)
        assert new["retry_of"] == job_id
        assert (new["name"], new["args"], new["kwargs"]) == ("fail", ["boom"], {})
        new_id = new["id"]
    else:
        assert re.search(rf"^Retry of\s+{job_id}$", retried.stdout, re.MULTILINE)
        found = re.search(r"^Job id\s+(\S+)$", retried.stdout, re.MULTILINE)
        assert found is not None
        new_id = found[1]
    assert new_id != job_id
    again = document(invoke("result", new_id, "--wait", WAIT, "--json"))
    assert again["result"]["message"] == "boom"
    assert document(invoke("result", job_id, "--json"))["success"] is False


@pytest.mark.parametrize("output", OUTPUTS)
def test_retrying_an_unfinished_job_exits_4(invoke: Invoke, output: str) -> None:
    job_id = enqueue_id(invoke, "noop")

    refused = invoke("retry", job_id, *flags(output))

    assert refused.exit_code == ExitCode.RESULT_UNAVAILABLE
    assert "has not finished" in error_message(refused, output)
    assert document(invoke("jobs", "--json"))["depth"] == 1


@pytest.mark.worker
def test_workers_lists_the_queue_core_workers_serving_a_queue(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    worker = arq_worker(program="queue-core")

    listed = document(invoke("workers", "--json"))
    table = invoke("workers").stdout.splitlines()

    (found,) = listed["workers"]
    assert listed["queue_name"] == "arq:queue"
    assert (found["kind"], found["pid"]) == ("queue-core", worker.process.pid)
    assert found["started_at"] <= found["last_beat_at"]
    assert table[0].split() == [
        "ID",
        "KIND",
        "HOST",
        "PID",
        "STARTED",
        "LAST",
        "BEAT",
        "RUNNING",
        "COMPLETE",
        "FAILED",
        "RETRIED",
    ]
    assert table[1].split()[:4] == [
        found["id"],
        "queue-core",
        found["host"],
        str(worker.process.pid),
    ]
    assert table[-1] == "1 worker(s) serve queue arq:queue."


@pytest.mark.worker
def test_workers_shows_an_arq_worker_as_far_as_its_health_check_says(
    invoke: Invoke, arq_worker: Callable[..., WorkerProcess]
) -> None:
    arq_worker()

    (found,) = document(invoke("workers", "--json"))["workers"]
    row = invoke("workers").stdout.splitlines()[1].split()

    assert (found["id"], found["kind"]) == ("arq:queue:health-check", "arq")
    assert (found["host"], found["pid"], found["started_at"]) == (None, None, None)
    assert row[:5] == ["arq:queue:health-check", "arq", "-", "-", "-"]


@pytest.mark.parametrize("output", OUTPUTS)
def test_workers_says_so_when_no_worker_serves_the_queue(
    invoke: Invoke, output: str
) -> None:
    listed = invoke("workers", "--queue", "idle", *flags(output))

    assert listed.exit_code == ExitCode.OK
    if output == "json":
        assert json.loads(listed.stdout) == {"queue_name": "idle", "workers": []}
    else:
        assert listed.stdout == "No workers serve queue idle.\n"


# --json, --serializer


@pytest.mark.parametrize(
    "args",
    [
        ["enqueue", "echo", "x"],
        ["status", "{id}"],
        ["jobs"],
        ["stats"],
    ],
)
def test_json_output_is_one_valid_document_on_stdout(
    invoke: Invoke, args: list[str]
) -> None:
    job_id = enqueue_id(invoke, "noop")
    printed = invoke(*[arg.format(id=job_id) for arg in args], "--json")
    assert isinstance(document(printed), dict)
    assert printed.stderr == ""


@pytest.mark.worker
def test_the_json_serializer_writes_payloads_a_json_worker_runs(
    invoke: Invoke, redis_url: str, arq_worker: Callable[..., WorkerProcess]
) -> None:
    env = {SERIALIZER_ENV: "json"}
    job = document(invoke("enqueue", "add", "4", "5", "--json", env=env))
    client = Redis.from_url(redis_url)
    try:
        stored = client.get(f"arq:job:{job['id']}")
    finally:
        client.close()
    assert isinstance(stored, bytes)
    assert json.loads(stored)["a"] == [4, 5]
    # Started once the payload is read: a worker deletes it as the job ends.
    arq_worker(serializer="json")
    done = document(invoke("result", job["id"], "--wait", WAIT, "--json", env=env))
    assert done["result"] == 9


def test_a_payload_written_with_another_serializer_is_one_error_line(
    invoke: Invoke,
) -> None:
    job_id = enqueue_id(invoke, "noop")
    unreadable = invoke("status", job_id, "--serializer", "json")
    assert unreadable.exit_code == ExitCode.FAILURE
    assert job_id in error_line(unreadable)


# Connection and configuration


@pytest.mark.parametrize("output", OUTPUTS)
def test_no_redis_url_is_a_usage_error_that_says_how_to_give_one(
    invoke: Invoke, output: str
) -> None:
    missing = invoke("stats", *flags(output), env={URL_ENV: ""})

    assert missing.exit_code == ExitCode.USAGE
    assert error_message(missing, output) == (
        f"no Redis URL: pass --redis-url URL or set {URL_ENV}, "
        "as in redis://127.0.0.1:6379/0"
    )
    assert missing.stdout == ""


@pytest.mark.parametrize("output", OUTPUTS)
def test_a_url_without_a_scheme_says_which_schemes_there_are(
    invoke: Invoke, redis_url: str, output: str
) -> None:
    address = urlsplit(redis_url).netloc.rpartition("@")[2]

    failed = invoke("stats", "--redis-url", address, *flags(output))

    assert failed.exit_code == ExitCode.CONNECTION
    assert error_message(failed, output) == (
        "invalid Redis URL: Redis URL needs a scheme: it must start with "
        "redis://, rediss://, unix:// or redis+sentinel://, "
        "as in redis://127.0.0.1:6379"
    )


def misdirected_url(kind: str, redis_url: str) -> str:
    """A URL of ``kind`` for the suite's plain Redis, which it does not fit.

    The TLS one keeps arq's connection timeout at its least, a second.
    """
    parts = urlsplit(redis_url)
    urls = {
        "database": parts._replace(path="/9999").geturl(),
        "sentinel": f"redis+sentinel://{parts.netloc}/mymaster",
        "tls": f"rediss://{parts.netloc}/0?conn_timeout=1",
    }
    return urls[kind]


MISFITS = {
    "database": (
        "has no such database (DB index is out of range): pick one it has, "
        "0 to 15, unless its databases setting says otherwise"
    ),
    "sentinel": (
        "is not a Sentinel (it does not know the SENTINEL command): use "
        "redis:// for a plain server, redis+sentinel:// only for Sentinels"
    ),
    "tls": (
        "; the TLS handshake failed or timed out: the server may not "
        "speak TLS, and redis:// is for a plain server"
    ),
}
"""What the message says for each kind of `misdirected_url`."""


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("kind", sorted(MISFITS))
@pytest.mark.parametrize("command", [["stats"], ["demo", "-n", "1"]])
def test_a_url_the_server_does_not_fit_is_a_connection_error_that_says_what_to_change(
    invoke: Invoke, redis_url: str, kind: str, command: list[str], output: str
) -> None:
    url = misdirected_url(kind, redis_url)

    failed = invoke(*command, "--redis-url", url, *flags(output))

    assert failed.exit_code == ExitCode.CONNECTION
    message = error_message(failed, output)
    assert MISFITS[kind] in message
    assert message.startswith(
        f"cannot connect to Redis at {url}: "
        if kind == "tls"
        else f"the server at {url} "
    )
    assert failed.stdout == ""


def bad_url(kind: str, redis_url: str) -> str:
    """A URL with the sentinel password that cannot work, of one kind."""
    urls = {
        "refused": refused_url(SENTINEL_PASSWORD),
        "password-refused": url_with_password(redis_url, SENTINEL_PASSWORD),
        "bad-port": f"redis://:{SENTINEL_PASSWORD}@127.0.0.1:notaport/0",
        "bad-scheme": f"http://:{SENTINEL_PASSWORD}@127.0.0.1/0",
        "bad-no-scheme": f":{SENTINEL_PASSWORD}@127.0.0.1:6379/0",
        "bad-database": f"redis://:{SENTINEL_PASSWORD}@127.0.0.1/zero",
    }
    return urls[kind]


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize(
    "kind",
    [
        "refused",
        "password-refused",
        "bad-port",
        "bad-scheme",
        "bad-no-scheme",
        "bad-database",
    ],
)
@pytest.mark.parametrize("command", [["stats"], ["status", "x"], ["demo", "-n", "1"]])
def test_connection_and_url_errors_exit_5_without_showing_the_password(
    invoke: Invoke, redis_url: str, kind: str, command: list[str], output: str
) -> None:
    failed = invoke(*command, "--redis-url", bad_url(kind, redis_url), *flags(output))
    assert failed.exit_code == ExitCode.CONNECTION
    line = error_message(failed, output)
    assert SENTINEL_PASSWORD not in failed.output
    assert failed.stdout == ""
    if "refused" in kind:
        assert "redis://:***@127.0.0.1:" in line
    if kind.startswith("bad"):
        assert "invalid Redis URL" in line


def test_a_password_from_the_environment_is_never_shown(
    invoke: Invoke, redis_url: str
) -> None:
    refused = invoke("stats", env={PASSWORD_ENV: SENTINEL_PASSWORD})
    assert refused.exit_code == ExitCode.CONNECTION
    assert SENTINEL_PASSWORD not in refused.output
    assert redis_url in error_line(refused)


def test_the_console_script_fails_fast_with_one_line_and_no_traceback() -> None:
    # conn_retries=1 makes arq log a retry warning: it must not reach stderr.
    url = refused_url(SENTINEL_PASSWORD) + "?conn_retries=1"
    completed = subprocess.run(
        [sys.executable, "-c", "from queue_core._cli import main; main()", "stats"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", URL_ENV: url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == ExitCode.CONNECTION
    assert completed.stdout == ""
    assert completed.stderr.count("\n") == 1
    assert completed.stderr.startswith("Error: cannot connect to Redis at")
    assert SENTINEL_PASSWORD not in completed.stderr


class _HttpHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    @override
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the server's request log off the test's stderr."""


@pytest.fixture
def http_port() -> Iterator[int]:
    """A port on 127.0.0.1 where an HTTP server, not Redis, answers."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HttpHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("command", [["stats"], ["status", "x"], ["demo", "-n", "1"]])
def test_a_server_that_is_not_redis_is_a_connection_error_that_says_so(
    invoke: Invoke, http_port: int, command: list[str]
) -> None:
    url = f"redis://:{SENTINEL_PASSWORD}@127.0.0.1:{http_port}/0"

    answered = invoke(*command, "--redis-url", url)

    assert answered.exit_code == ExitCode.CONNECTION
    assert error_line(answered).startswith(
        f"Error: the server at redis://:***@127.0.0.1:{http_port}/0 answered, "
        "but not as Redis does: is this port a Redis server? (Protocol error"
    )
    assert SENTINEL_PASSWORD not in answered.output


# Usage, entry point, documentation


@pytest.mark.parametrize(
    "args",
    [
        ["no-such-command"],
        ["status"],
        ["jobs", "--status", "complete"],
        ["jobs", "--limit", "-1"],
        ["enqueue", "noop", "--defer-by", "-1"],
        ["demo", "-n", "0"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    wrong = CliRunner().invoke(cli, args)
    assert wrong.exit_code == ExitCode.USAGE
    assert "Usage:" in wrong.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["no-such-command"], "No such command 'no-such-command'; see 'queue-core -h'"),
        (["status"], "Missing argument 'JOB_ID'; see 'queue-core status -h'"),
        (
            ["status", "x", "--no-such-option"],
            "No such option '--no-such-option'; see 'queue-core status -h'",
        ),
        (["demo", "-n", "0"], "Invalid value for '-n' / '--jobs': 0 is not in the "),
    ],
)
def test_usage_errors_with_json_are_json_that_says_where_help_is(
    args: list[str], says: str
) -> None:
    wrong = CliRunner().invoke(cli, [*args, "--json"], prog_name="queue-core")

    assert wrong.exit_code == ExitCode.USAGE
    assert error_message(wrong, "json").startswith(says)
    assert wrong.stdout == ""


def test_an_error_before_json_on_the_command_line_is_json_too() -> None:
    wrong = CliRunner().invoke(cli, ["jobs", "--limit", "-1", "--json"])

    assert wrong.exit_code == ExitCode.USAGE
    assert "--limit" in error_message(wrong, "json")


@pytest.mark.parametrize("output", OUTPUTS)
def test_an_interrupted_command_exits_1_and_says_so(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    async def interrupted(*_args: object, **_kwargs: object) -> NoReturn:
        raise KeyboardInterrupt

    monkeypatch.setattr(RedisArqQueue, "initialize", interrupted)

    stopped = invoke("stats", *flags(output))

    assert stopped.exit_code == ExitCode.FAILURE
    if output == "json":
        assert error_message(stopped, output) == (
            "interrupted by Ctrl-C or SIGTERM, after cleaning up"
        )
    else:
        assert stopped.stderr.strip() == "Aborted!"


def test_browse_takes_no_json_which_it_would_ignore() -> None:
    helped = CliRunner().invoke(cli, ["browse", "--help"])
    after = CliRunner().invoke(cli, ["browse", "--json"])
    before = CliRunner().invoke(cli, ["--json", "browse"], prog_name="queue-core")

    assert helped.exit_code == ExitCode.OK
    assert "--json" not in helped.stdout
    assert after.exit_code == before.exit_code == ExitCode.USAGE
    assert error_message(after, "json").startswith("No such option '--json'")
    assert error_message(before, "json") == (
        "browse does not take --json; leave it out; see 'queue-core -h'"
    )


def test_a_shared_option_before_a_command_that_does_not_take_it_is_a_usage_error() -> (
    None
):
    wrong = CliRunner().invoke(cli, ["--queue", "reports", "demo"])

    assert wrong.exit_code == ExitCode.USAGE
    assert "Error: demo does not take --queue; leave it out" in wrong.stderr


@pytest.mark.parametrize("missing", ["queue_browser", "uvicorn"])
@pytest.mark.parametrize(
    ("command", "output"),
    [
        # A URL nothing listens on: the check comes before connecting.
        (["browse", "--redis-url", "{refused}"], "text"),
        # Before any job runs, too: their progress lines would be on stderr.
        (["demo", "--browse", "-n", "5"], "text"),
        (["demo", "--browse", "-n", "5"], "json"),
    ],
)
def test_serving_the_browser_without_its_extra_fails_at_once_naming_it(
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    missing: str,
    output: str,
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    args = [arg.format(refused=refused_url(SENTINEL_PASSWORD)) for arg in command]

    failed = invoke(*args, *flags(output))

    assert failed.exit_code == ExitCode.FAILURE
    assert error_message(failed, output) == (
        'the job browser needs its extra: pip install "queue-core[browser]"'
    )
    assert failed.stdout == ""


@pytest.mark.parametrize(
    "command", ["enqueue", "status", "result", "abort", "jobs", "stats", "demo"]
)
def test_every_command_explains_itself(command: str) -> None:
    helped = CliRunner().invoke(cli, [command, "--help"])
    assert helped.exit_code == ExitCode.OK
    text = " ".join(helped.stdout.split())
    assert "--json" in text
    assert (f"env var: {URL_ENV}" in text) is (command != "demo")


def test_the_top_level_help_names_the_environment_variables_too() -> None:
    helped = CliRunner().invoke(cli, ["--help"])

    text = " ".join(helped.stdout.split())
    assert helped.exit_code == ExitCode.OK
    for option, variable in [
        ("--redis-url URL", URL_ENV),
        ("--redis-password PASSWORD", PASSWORD_ENV),
        ("--serializer", SERIALIZER_ENV),
    ]:
        assert re.search(rf"{option} .*?\[env var: {variable}\]", text), option


def test_the_console_script_is_main_and_reports_its_version() -> None:
    (script,) = entry_points(group="console_scripts", name="queue-core")
    assert script.load() is main
    completed = subprocess.run(
        [sys.executable, "-c", "from queue_core._cli import main; main()", "--version"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == ExitCode.OK
    assert completed.stdout.startswith("queue-core, version ")


def test_the_exit_codes_are_the_ones_the_docs_list() -> None:
    page = (REPO_ROOT / "docs" / "cli.md").read_text()
    documented = {
        int(code): name
        for code, name in re.findall(r"^\| `(\d)` \| (\w+) \|", page, re.MULTILINE)
    }
    assert documented == {code.value: code.name for code in ExitCode}


def test_shared_options_may_also_come_before_the_command(invoke: Invoke) -> None:
    job_id = enqueue_id(invoke, "noop", "--queue", "early")

    before = document(invoke("--json", "--queue", "early", "status", job_id))
    after = document(invoke("status", job_id, "--queue", "early", "--json"))

    assert before == after
    assert before["queue_name"] == "early"


def test_a_url_given_before_the_command_wins_over_the_environment(
    invoke: Invoke, redis_url: str
) -> None:
    listed = invoke(
        "--redis-url",
        redis_url,
        "jobs",
        "--json",
        env={URL_ENV: "redis://127.0.0.1:1/0"},
    )

    assert listed.exit_code == 0, listed.output
    assert document(listed)["jobs"] == []
