"""``queue-core worker`` against ``arq``: flags, exit statuses and log lines."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from arq.connections import ArqRedis
from arq.jobs import JobStatus

from tests.conftest import WorkerProcess, start_worker
from tests.worker.conftest import (
    PROGRAMS,
    WAIT,
    enqueue,
    log_messages,
    run_to_exit,
    settings,
    until,
    without_times,
)
from tests.workers import JOURNAL_ENV

pytestmark = pytest.mark.worker

QUEUE = "tests:worker:command"
HEALTH_KEY = f"{QUEUE}:health-check"

RECORD_DATE = r"[A-Z][a-z]{2}-\d\d \d\d:\d\d:\d\d"
"""When a health-check record was written, in arq's format."""

HEALTH_RECORD = re.compile(
    RECORD_DATE + r" j_complete=\d+ j_failed=\d+ "
    r"j_retried=\d+ j_ongoing=\d+ queued=\d+"
)
"""arq's health-check record, as ``arq --check`` and operators read it."""


async def _checks(redis_url: str) -> dict[str, tuple[int, list[str]]]:
    """Each program's ``--check``: its exit status and log messages."""
    ended = await asyncio.gather(
        *(
            run_to_exit(redis_url, QUEUE, "BurstSettings", "--check", program=p)
            for p in PROGRAMS
        )
    )
    return {
        program: (
            outcome.returncode,
            [
                re.sub(HEALTH_RECORD, "<record>", message)
                for message in log_messages(outcome.stderr)
            ],
        )
        for program, outcome in zip(PROGRAMS, ended, strict=True)
    }


async def test_both_health_checks_pass_while_either_worker_runs_and_fail_without(
    program: str,
    redis_url: str,
    arq_redis: ArqRedis,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    failed = (1, ["Health check failed: no health check sentinel value found"])
    assert await _checks(redis_url) == dict.fromkeys(PROGRAMS, failed)

    worker = arq_worker(QUEUE, settings_path=settings("BurstSettings"), program=program)
    record = await arq_redis.get(HEALTH_KEY)
    running = await _checks(redis_url)
    await asyncio.to_thread(worker.stop)

    assert record is not None
    assert HEALTH_RECORD.fullmatch(record.decode())
    assert running == dict.fromkeys(
        PROGRAMS, (0, ["Health check successful: b'<record>'"])
    )
    assert await _checks(redis_url) == dict.fromkeys(PROGRAMS, failed)


async def test_burst_runs_the_queued_jobs_then_exits_removing_its_health_record(
    program: str, redis_url: str, arq_redis: ArqRedis
) -> None:
    jobs = [await enqueue(arq_redis, "echo", n, queue_name=QUEUE) for n in range(3)]

    ended = await run_to_exit(
        redis_url, QUEUE, "BurstSettings", "--burst", program=program
    )

    assert ended.returncode == 0, ended.stderr
    assert [await job.result(timeout=0) for job in jobs] == [0, 1, 2]
    assert not await arq_redis.exists(HEALTH_KEY)


async def test_max_burst_jobs_ends_a_burst_run_after_that_many_jobs(
    program: str, redis_url: str, arq_redis: ArqRedis
) -> None:
    jobs = [await enqueue(arq_redis, "echo", n, queue_name=QUEUE) for n in range(5)]

    ended = await run_to_exit(redis_url, QUEUE, "MaxBurstSettings", program=program)

    assert ended.returncode == 0, ended.stderr
    statuses = Counter([await job.status() for job in jobs])
    assert statuses == {JobStatus.complete: 2, JobStatus.queued: 3}


async def test_an_unknown_settings_attribute_is_our_usage_error_and_ignored_by_arq(
    redis_url: str,
) -> None:
    ours, arqs = await asyncio.gather(
        *(
            run_to_exit(redis_url, QUEUE, "MisspeltSettings", "--burst", program=p)
            for p in ("queue-core", "arq")
        )
    )

    assert ours.returncode == 2
    assert "unknown attribute(s) 'max_job'" in ours.stderr
    assert "Starting worker" not in ours.stderr
    assert arqs.returncode == 0, arqs.stderr
    assert "Starting worker for 1 functions: echo" in arqs.stderr


def _operators_view(output: str) -> tuple[list[str], list[str]]:
    """The log messages about jobs, and the health-check records logged,
    with what varies between runs (durations, delays, Redis's memory and
    client counts) replaced.

    When a worker rewrites its health record, and so which counts it logs,
    depends on when it looks at the queue, so those are apart.
    """
    jobs: list[str] = []
    records: list[str] = []
    for message in without_times(log_messages(output)):
        if message.startswith("recording health: "):
            records.append(message.removeprefix("recording health: "))
        elif message.startswith("redis_version="):
            jobs.append(re.sub(r"=\S+", "=<n>", message))
        else:
            jobs.append(message.replace(" delayed=<t>s", ""))
    return jobs, records


async def test_the_workers_log_lines_are_arqs_for_the_same_jobs(
    redis_url: str, arq_redis: ArqRedis
) -> None:
    jobs = [
        ("log-1", "echo", ("hello",), {}),
        ("log-2", "echo", (1,), {"two": 2}),
        ("log-3", "noop", (), {}),
        ("log-4", "fail", ("boom",), {}),
        ("log-5", "retry_once", (0,), {}),
        ("log-6", "missing", (), {}),
    ]
    seen: dict[str, list[str]] = {}
    records: dict[str, list[str]] = {}
    for program in PROGRAMS:
        await arq_redis.flushdb()
        for job_id, function, args, kwargs in jobs:
            await enqueue(
                arq_redis, function, *args, queue_name=QUEUE, job_id=job_id, **kwargs
            )
        ended = await run_to_exit(
            redis_url, QUEUE, "LogSettings", "--burst", program=program
        )
        assert ended.returncode == 0, ended.stderr
        seen[program], records[program] = _operators_view(ended.stderr)

    assert seen["queue-core"] == seen["arq"]
    assert seen["arq"] == [
        "Starting worker for 4 functions: echo, fail, noop, retry_once",
        "redis_version=<n> mem_usage=<n> clients_connected=<n> db_keys=<n>",
        "<t>s → log-1:echo('hello')",
        "<t>s ← log-1:echo ● 'hello'",
        "<t>s → log-2:echo(1, two=2)",
        "<t>s ← log-2:echo ● {'args': [1], 'kwargs': {'two': 2}}",
        "<t>s → log-3:noop()",
        "<t>s ← log-3:noop ●",
        "<t>s → log-4:fail('boom')",
        "<t>s ! log-4:fail failed, TaskFailedError: boom",
        "<t>s → log-5:retry_once(0)",
        "<t>s ↻ log-5:retry_once retrying job in <t>s",
        "<t>s → log-5:retry_once(0) try=2",
        "<t>s ← log-5:retry_once ● 2",
        "job log-6, function 'missing' not found",
    ]
    for program in PROGRAMS:
        assert records[program], f"{program} logged no health record"
        assert all(HEALTH_RECORD.fullmatch(record) for record in records[program])


async def test_watch_restarts_queue_core_worker_when_a_file_changes(
    redis_url: str, arq_redis: ArqRedis, tmp_path: Path
) -> None:
    watched = tmp_path / "src"
    watched.mkdir()
    worker = start_worker(
        redis_url,
        QUEUE,
        tmp_path,
        settings_path=settings("JournalSettings"),
        program="queue-core",
        flags=("--watch", str(watched)),
        env={JOURNAL_ENV: str(tmp_path / "journal.txt")},
    )
    try:
        (watched / "tasks.py").write_text("changed = True\n")

        async def reloaded() -> bool:
            return "files changed, reloading queue-core worker" in worker.log()

        await until(reloaded)
        job = await enqueue(arq_redis, "journal_run", 0, queue_name=QUEUE)
        assert await job.result(timeout=WAIT, poll_delay=0.05) == job.job_id
    finally:
        worker.stop()
