"""What every library's benchmark job does: note its start and end, and return them.

Each library's job function awaits `work`, which takes ``time.time()``
first, sleeps if asked, then calls `finished`, which appends one
fixed-width line (tag, start, end) to a log file of its own process with
one unbuffered ``write``, and returns ``[start, end]`` as the job's result.
The harness counts the lines to know when every job ran and whether one
ran twice, and times the pickup (start minus enqueue) and the result wait
(the client's return minus end) from them. Every library pays the same few
microseconds for it. Standard library only: this runs in every library's
own virtualenv.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

LOG_DIR_ENV = "QUEUE_CORE_PEERS_LOG_DIR"
"""The directory the jobs log to; the harness makes a fresh one per run."""
REDIS_URL_ENV = "QUEUE_CORE_PEERS_REDIS_URL"
CONCURRENCY_ENV = "QUEUE_CORE_PEERS_CONCURRENCY"
POLL_DELAY_ENV = "QUEUE_CORE_PEERS_POLL_DELAY"
"""arq's ``poll_delay``, for the arq rows; unset means arq's default."""

LINE = b"%08d %17.6f %17.6f\n"
LINE_LENGTH = 45
"""Bytes per line: the harness counts lines from the files' sizes."""
LOOP_PREFIX = "loop-"
RAN_PREFIX = "ran-"

_log: tuple[int, int] | None = None
"""This process's (pid, file descriptor), opened on the first job."""


def redis_url() -> str:
    """The benchmark's Redis, for module-level worker settings."""
    return os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/0")


def concurrency() -> int:
    """Jobs one worker process runs at once."""
    return int(os.environ.get(CONCURRENCY_ENV, "32"))


def _open_log() -> int:
    """This process's log, and a note of the event loop its jobs run on."""
    global _log  # noqa: PLW0603 - one log per process, opened lazily
    pid = os.getpid()
    if _log is None or _log[0] != pid:  # first job, or a forked child's
        directory = Path(os.environ[LOG_DIR_ENV])
        loop = type(asyncio.get_running_loop())
        (directory / f"{LOOP_PREFIX}{pid}").write_text(
            f"{loop.__module__}.{loop.__qualname__}"
        )
        descriptor = os.open(
            directory / f"{RAN_PREFIX}{pid}",
            os.O_WRONLY | os.O_CREAT | os.O_APPEND,
            0o644,
        )
        _log = (pid, descriptor)
    return _log[1]


async def work(tag: int, seconds: float) -> list[float]:
    """The benchmark job: note the start, sleep if asked, note the end."""
    start = time.time()
    if seconds:
        await asyncio.sleep(seconds)
    return finished(tag, start)


def finished(tag: int, start: float) -> list[float]:
    """Log that job ``tag`` ran from ``start`` until now; return both times."""
    descriptor = _open_log()
    end = time.time()
    os.write(descriptor, LINE % (tag, start, end))
    return [start, end]
