"""The libraries compared: how each is installed, run and configured."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent / "requirements"

ARQ = "arq"
ARQ_FAST = "arq-fast"
QUEUE_CORE = "queue-core"
STREAQ = "streaq"
SAQ = "saq"
TASKIQ = "taskiq"
PEERS = (STREAQ, SAQ, TASKIQ)
"""The other libraries: the targets name the best of them."""


@dataclass(frozen=True)
class Library:
    """One row of the comparison."""

    key: str
    """Its name on the command line and in the JSON."""
    label: str
    """Its name in the tables; ``{distribution}`` stands for its version."""
    module: str
    """The ``benchmarks.peers.lib_*`` module with its job, worker and client."""
    worker: tuple[str, ...]
    """The worker's command line: a program in the interpreter's ``bin``
    directory (``python`` is the interpreter), then its arguments."""
    worker_settings: str
    """What the worker runs with, for the settings table."""
    client_settings: str
    """How the client enqueues and waits, for the settings table."""
    requirements: Path | None = None
    """Its own virtualenv's requirements; `None`: the project's environment."""
    env: dict[str, str] = field(default_factory=dict)
    """Extra environment for its worker."""


def _arq(key: str, label: str, poll_delay: str, env: dict[str, str]) -> Library:
    """arq's worker and client, with this ``poll_delay``."""
    return Library(
        key=key,
        label=label,
        module="benchmarks.peers.lib_arq",
        worker=("python", "-m", "arq", "benchmarks.peers.lib_arq.WorkerSettings"),
        worker_settings=(
            "`python -m arq benchmarks.peers.lib_arq.WorkerSettings`; `max_jobs` 32, "
            f"`poll_delay` {poll_delay}; all else arq's default (a job log line at "
            "INFO, results kept 3,600 s)"
        ),
        client_settings=(
            "`ArqRedis.enqueue_job`; `Job.result()` (polls every 0.5 s, its "
            "default); the queue is filled with queue-core's `enqueue_many` (the "
            "same keys and bytes)"
        ),
        env=env,
    )


LIBRARIES = (
    _arq(ARQ, "arq {arq}", "0.5 s (its default)", {}),
    _arq(
        ARQ_FAST,
        "arq {arq}, poll_delay 0.01",
        "0.01 s",
        {"QUEUE_CORE_PEERS_POLL_DELAY": "0.01"},
    ),
    Library(
        key=QUEUE_CORE,
        label="queue-core {queue-core}",
        module="benchmarks.peers.lib_queue_core",
        worker=(
            "python",
            "-m",
            "queue_core",
            "worker",
            "benchmarks.peers.lib_arq.WorkerSettings",
        ),
        worker_settings=(
            "`python -m queue_core worker benchmarks.peers.lib_arq.WorkerSettings`: "
            "arq's settings class above (`max_jobs` 32), all else queue-core's "
            "default (arq's values, uvloop when installed: the `bench` group "
            "installs it)"
        ),
        client_settings=(
            "`RedisArqQueue.enqueue`; `wait_for_result` (default `poll_interval`); "
            "the queue is filled with `enqueue_many`, 1,000 jobs a call"
        ),
    ),
    Library(
        key=STREAQ,
        label="streaq {streaq}",
        module="benchmarks.peers.lib_streaq",
        worker=("streaq", "run", "benchmarks.peers.lib_streaq:worker"),
        worker_settings=(
            "`streaq run benchmarks.peers.lib_streaq:worker`; `Worker(redis_url, "
            "concurrency=32)`, all else streaq's default (asyncio without uvloop, "
            "a log line per task at INFO, pickle)"
        ),
        client_settings=(
            "`async with worker`; `await work.enqueue(...)`; `Task.result()` "
            "(pub/sub); the queue is filled with `Worker.enqueue_many`, 1,000 a call"
        ),
        requirements=REQUIREMENTS / "streaq.txt",
    ),
    Library(
        key=SAQ,
        label="saq {saq}",
        module="benchmarks.peers.lib_saq",
        worker=("saq", "benchmarks.peers.lib_saq.settings"),
        worker_settings=(
            "`saq benchmarks.peers.lib_saq.settings`; `Queue.from_url(url)`, "
            "`concurrency` 32, all else saq's default (`dequeue_timeout` 0, job "
            "timeout 10 s, sweep every 60 s, logging at WARNING); hiredis"
        ),
        client_settings=(
            "`Queue.enqueue`; `Job.refresh(until_complete=...)` (pub/sub); the "
            "queue is filled with `Queue.enqueue`, 32 in flight"
        ),
        requirements=REQUIREMENTS / "saq.txt",
    ),
    Library(
        key=TASKIQ,
        label="taskiq {taskiq} + taskiq-redis {taskiq-redis}",
        module="benchmarks.peers.lib_taskiq",
        worker=(
            "taskiq",
            "worker",
            "benchmarks.peers.lib_taskiq:broker",
            "--workers",
            "1",
            "--max-async-tasks",
            "32",
        ),
        worker_settings=(
            "`taskiq worker benchmarks.peers.lib_taskiq:broker --workers 1 "
            "--max-async-tasks 32` (one process; its default is 2); "
            "`RedisStreamBroker(url)` and `RedisAsyncResultBackend(url)` with "
            "their defaults (`xread_count` 100, acknowledged when saved); uvloop, "
            "which its command line picks when installed"
        ),
        client_settings=(
            "`broker.startup()`; `work.kiq(...)`; `wait_result()` (polls every "
            "0.2 s, its default); the queue is filled with `kiq`, 32 in flight"
        ),
        requirements=REQUIREMENTS / "taskiq.txt",
    ),
)
BY_KEY = {library.key: library for library in LIBRARIES}
