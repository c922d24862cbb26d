"""Worker settings for the wake-up tests, with a slow poll.

Started as ``queue-core worker tests.wakeups.SlowPollSettings`` (or arq's
``arq``) with the Redis URL and queue in the environment, as tests/workers.py's
settings are, and ``poll_delay`` from `POLL_DELAY_ENV` (5 s unless set). A
job that runs well inside that was started by a wake-up, not by a poll.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from queue_core import build_arq_redis_settings, task
from tests.workers import QUEUE_ENV, REDIS_URL_ENV

POLL_DELAY_ENV = "QUEUE_CORE_TEST_POLL_DELAY"


async def linger(ctx: dict[Any, Any], seconds: float) -> str:
    """Sleep, then return the job's id."""
    await asyncio.sleep(seconds)
    return str(ctx["job_id"])


@task
async def nap(ctx: dict[Any, Any]) -> str:
    """A typed task: return the job's id."""
    return str(ctx["job_id"])


class SlowPollSettings:
    """arq's plain class form, polling every `POLL_DELAY_ENV` seconds."""

    functions = (linger, nap)
    redis_settings = build_arq_redis_settings(
        os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
    )
    queue_name = os.environ.get(QUEUE_ENV, "arq:queue")
    poll_delay = float(os.environ.get(POLL_DELAY_ENV, "5"))
    max_jobs = 4
