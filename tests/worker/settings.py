"""Worker settings that ``arq`` and ``queue-core worker`` both run in tests/worker.

Each is arq's dict form (arq reads a class's own ``__dict__`` only, so dicts
share a base where classes could not), told where Redis is and which queue
to serve by the environment `tests.conftest.start_worker` sets. The tasks
leave what a test must see in Redis (under ``test:`` keys) or, where Redis
may be down, in the journal file the environment names.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from arq.cron import cron

from queue_core import build_arq_redis_settings
from tests import workers
from tests.workers import echo, fail, noop, retry_once

QUEUE = "tests:worker"
"""The queue the settings serve unless the environment names another."""

PROGRAM_ENV = "QUEUE_CORE_TEST_WORKER_PROGRAM"
"""Which program a worker process is, for the tasks to record."""

RUNS_KEY = "test:runs"
"""A list of ``"<job id> <program>"``, one entry a `record_run` run."""

STARTED_KEY = "test:started"
"""How many `wait_for_gate` jobs have started."""

GATE_KEY = "test:gate"
"""`wait_for_gate` jobs return once this key exists."""

TICKS_KEY = "test:ticks"
"""A list of ``"<job id> <score>"``, one entry a `tick` run."""

STARTUPS_KEY = "test:startups"
"""A list of the job ids `at_startup` ran."""

TRIES_KEY_PREFIX = "test:tries:"
"""Followed by a job id: a list of the tries `slow_first_try` ran."""

LEASE_JOB_TIMEOUT_S = 2
"""`ShortLeaseSettings`' job timeout: a lease of 12 s (arq's timeout + 10 s)."""


async def slow_first_try(ctx: dict[Any, Any], seconds: float) -> int:
    """Note the try in Redis, sleep on the first try only; return the try."""
    job_try = int(ctx["job_try"])
    await ctx["redis"].rpush(TRIES_KEY_PREFIX + ctx["job_id"], job_try)
    if job_try == 1:
        await asyncio.sleep(seconds)
    return job_try


def _journal(line: str) -> None:
    """Append a line to the journal file the environment names."""
    with Path(os.environ[workers.JOURNAL_ENV]).open("a") as journal:
        journal.write(f"{line}\n")


async def journal_run(ctx: dict[Any, Any], seconds: float) -> str:
    """Append the job id to the journal (not to Redis, which may be down),
    then sleep; return the id."""
    _journal(ctx["job_id"])
    await asyncio.sleep(seconds)
    return str(ctx["job_id"])


RUN_SECONDS = 0.005
"""How long `record_run` takes."""


async def record_run(ctx: dict[Any, Any]) -> str:
    """Record the run and which program made it; return the job id.

    It takes a few milliseconds, as real jobs do: jobs that took none would
    be drained by queue-core's workers before arq's (which claim one job a
    round trip) got any.
    """
    job_id = str(ctx["job_id"])
    await asyncio.sleep(RUN_SECONDS)
    await ctx["redis"].rpush(RUNS_KEY, f"{job_id} {os.environ[PROGRAM_ENV]}")
    return job_id


async def wait_for_gate(ctx: dict[Any, Any]) -> None:
    """Count the start, then wait until the gate key exists."""
    await ctx["redis"].incr(STARTED_KEY)
    while not await ctx["redis"].exists(GATE_KEY):
        await asyncio.sleep(0.02)


async def tick(ctx: dict[Any, Any]) -> str:
    """A cron job: record its id and score."""
    await ctx["redis"].rpush(TICKS_KEY, f"{ctx['job_id']} {ctx['score']}")
    return "tick"


async def at_startup(ctx: dict[Any, Any]) -> str:
    """A cron job run at startup: record its id."""
    await ctx["redis"].rpush(STARTUPS_KEY, ctx["job_id"])
    return "started"


_BASE: dict[str, Any] = {
    "redis_settings": build_arq_redis_settings(
        os.environ.get(workers.REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
    ),
    "queue_name": os.environ.get(workers.QUEUE_ENV, QUEUE),
    "poll_delay": 0.05,
}

SignalSettings: dict[str, Any] = {
    **_BASE,
    "functions": [slow_first_try, echo],
}
"""Stopped by a signal: running jobs are cancelled (arq's default)."""

PatientSettings: dict[str, Any] = {
    **SignalSettings,
    "job_completion_wait": 10,
}
"""Stopped by a signal: running jobs get up to 10 s to finish."""

ImpatientSettings: dict[str, Any] = {
    **SignalSettings,
    "job_completion_wait": 1,
}
"""Stopped by a signal: running jobs get 1 s to finish."""

ShortLeaseSettings: dict[str, Any] = {
    **SignalSettings,
    "job_timeout": LEASE_JOB_TIMEOUT_S,
}
"""A job's in-progress key lives 12 s: killed workers' jobs come back soon."""

JournalSettings: dict[str, Any] = {
    **_BASE,
    "functions": [journal_run],
    "max_jobs": 10,
    "job_timeout": 5,
}
"""Runs journal_run jobs ten at a time."""

FleetSettings: dict[str, Any] = {
    **_BASE,
    "functions": [record_run],
    "max_jobs": 20,
}
"""One of many workers sharing a queue."""

GateSettings: dict[str, Any] = {
    **_BASE,
    "functions": [wait_for_gate],
    "max_jobs": 10,
}
"""Ten jobs at once, each held until the gate opens."""

SlowPollSettings: dict[str, Any] = {
    **_BASE,
    "functions": [echo],
    "max_jobs": 1,
    "poll_delay": 600,
}
"""One job at a time, and a look at the queue every ten minutes."""

BurstSettings: dict[str, Any] = {
    **_BASE,
    "functions": [echo],
}
"""Plain settings for ``--burst`` runs."""

MaxBurstSettings: dict[str, Any] = {
    **BurstSettings,
    "burst": True,
    "max_burst_jobs": 2,
}
"""A burst run that stops after two jobs (taken in one look at the queue:
arq counts a job that ended before its next look twice)."""

LogSettings: dict[str, Any] = {
    **_BASE,
    "functions": [echo, fail, noop, retry_once],
    "max_jobs": 1,
    "health_check_interval": 0,
}
"""One job at a time, so log lines come in the jobs' order; the health
record rewritten at each look at the queue (and logged when it changes)."""

CronSettings: dict[str, Any] = {
    **_BASE,
    "functions": [echo],
    "cron_jobs": [
        cron(tick, second=set(range(60)), keep_result=30),
        cron(at_startup, month=1, day=1, hour=0, minute=0, run_at_startup=True),
    ],
}
"""``tick`` every second (results kept 30 s); ``at_startup`` when the worker
starts (and at new year), its result not kept (arq's cron default)."""


class MisspeltSettings:
    """arq's class form with a misspelt ``max_jobs``."""

    functions = (echo,)
    redis_settings = _BASE["redis_settings"]
    queue_name = _BASE["queue_name"]
    max_job = 3
