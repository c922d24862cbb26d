"""A long ``queue-core worker --burst`` run: does its memory stay flat?

``uv run python -m benchmarks.worker_memory`` starts a private redis-server
on loopback, enqueues 1,000,000 no-op jobs (``--jobs``) with `enqueue_many`,
runs one ``queue-core worker --burst`` process over them and samples its
resident memory (``VmRSS`` in ``/proc``) every ``--every`` seconds until it
exits. It prints the samples and the growth from the first sample taken
after a tenth of the jobs (when the worker is warm) to the largest one
after it: flat means that growth stays small however many jobs still run.
Redis's own memory falls as the queue drains; the worker's must not rise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from redis import Redis

from benchmarks import worker
from benchmarks.processes import Placement, redis_server, redis_server_binary
from queue_core import JobSpec, RedisArqQueue
from queue_core._embedded import stop_process

REPO_ROOT = Path(__file__).resolve().parent.parent
ENQUEUE_BATCH = 10_000
FLAT_GROWTH = 1.10
"""Largest warm-to-peak growth of the worker's memory called flat."""


@dataclass(frozen=True)
class Sample:
    """One look at the worker: time, jobs left in the queue, its memory."""

    seconds: float
    queued: int
    rss_kib: int


def rss_kib(pid: int) -> int:
    """A process's resident memory, from ``/proc/<pid>/status``."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def enqueue(url: str, queue_name: str, jobs: int) -> None:
    """Enqueue the no-op jobs in batches of `ENQUEUE_BATCH`."""
    queue = await RedisArqQueue.from_url(url, default_queue_name=queue_name)
    async with queue:
        for start in range(0, jobs, ENQUEUE_BATCH):
            size = min(ENQUEUE_BATCH, jobs - start)
            await queue.enqueue_many([JobSpec("noop")] * size)


def run(jobs: int, every: float, *, pin: bool) -> dict[str, object]:
    """Enqueue, run the worker to the end while sampling, and report."""
    placement = Placement.choose(pin=pin)
    queue_name = "bench:worker-memory"
    with redis_server(placement, redis_server_binary()) as server:
        started = time.perf_counter()
        asyncio.run(enqueue(server.url, queue_name, jobs))
        enqueued_s = time.perf_counter() - started
        env = {
            **os.environ,
            **worker.worker_env(server.url, queue_name, poll_delay=0.5, max_jobs=32),
        }
        client = Redis.from_url(server.url)
        process = subprocess.Popen(
            [
                *placement.prefix(server=False),
                sys.executable,
                "-m",
                "queue_core",
                "worker",
                "benchmarks.worker.WorkerSettings",
                "--burst",
                "--custom-log-dict",
                "benchmarks.worker_memory.QUIET_LOGS",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
        samples: list[Sample] = []
        began = time.perf_counter()
        try:
            while process.poll() is None:
                queued = client.zcard(queue_name)
                assert isinstance(queued, int)  # noqa: S101 - a sync client
                samples.append(
                    Sample(
                        round(time.perf_counter() - began, 2),
                        queued,
                        rss_kib(process.pid),
                    )
                )
                time.sleep(every)
        finally:
            stop_process(process, timeout=15)
            client.close()
        elapsed = time.perf_counter() - began
    warm = [s for s in samples if s.queued <= jobs * 0.9]
    first = warm[0].rss_kib if warm else 0
    peak = max((s.rss_kib for s in warm), default=0)
    growth = peak / first if first else 0.0
    return {
        "jobs": jobs,
        "enqueue_seconds": round(enqueued_s, 1),
        "run_seconds": round(elapsed, 1),
        "jobs_per_second": round(jobs / elapsed),
        "warm_rss_kib": first,
        "peak_rss_kib": peak,
        "growth": round(growth, 3),
        "flat": bool(warm) and growth <= FLAT_GROWTH,
        "exit_code": process.returncode,
        "placement": placement.describe(),
        "samples": [asdict(s) for s in samples],
    }


QUIET_LOGS: dict[str, object] = {
    "version": 1,
    "disable_existing_loggers": False,
    "loggers": {"arq": {"level": "WARNING"}},
}
"""Log configuration for the run: a million INFO lines would measure the
terminal, not the worker."""


def main() -> None:
    """Command line: ``python -m benchmarks.worker_memory``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--every", type=float, default=2.0, help="seconds")
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    report = run(options.jobs, options.every, pin=not options.no_pin)
    if options.json:
        print(json.dumps(report))
        return
    for sample in report["samples"]:  # type: ignore[attr-defined]
        print(
            f"{sample['seconds']:8.1f} s  {sample['queued']:>9,} queued  "
            f"{sample['rss_kib'] / 1024:7.1f} MiB"
        )
    print(
        f"{report['jobs']:,} jobs in {report['run_seconds']} s "
        f"({report['jobs_per_second']:,} jobs/s, enqueued in "
        f"{report['enqueue_seconds']} s); worker memory warm "
        f"{report['warm_rss_kib'] / 1024:.1f} MiB, peak "  # type: ignore[operator]
        f"{report['peak_rss_kib'] / 1024:.1f} MiB, growth x{report['growth']}: "  # type: ignore[operator]
        f"{'flat' if report['flat'] else 'NOT flat'} (at most x{FLAT_GROWTH})"
    )


if __name__ == "__main__":
    main()
