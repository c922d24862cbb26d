"""How close to its time does a deferred job start?

``uv run python -m benchmarks.deferred_start`` starts a private redis-server
on loopback and, in turn, a ``queue-core worker`` and arq's worker (both
idle, ``poll_delay`` 0.5 s, arq's default). For each, it defers
``--jobs`` no-op jobs, one at a time, by a random 50 to 400 ms, waits for
each job's result and takes the job's start time (as the worker recorded
it, to the millisecond) minus the time it was deferred to. It prints the
p50, p99 and largest of those delays for each worker: arq's worker finds a
deferred job at its next poll; queue-core's wakes at the job's time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
from datetime import UTC, datetime, timedelta

from benchmarks.processes import (
    WORKER_PROGRAMS,
    Placement,
    redis_server,
    redis_server_binary,
    running_worker,
)
from queue_core import RedisArqQueue

QUEUE_NAME = "bench:deferred-start"
DEFER_MS = (50, 400)
"""The range each job is deferred by, in milliseconds."""


async def delays(url: str, jobs: int, seed: int) -> list[float]:
    """Defer each job in turn and return how late each one started, in ms."""
    spacing = random.Random(seed)
    late: list[float] = []
    queue = await RedisArqQueue.from_url(url, default_queue_name=QUEUE_NAME)
    async with queue:
        for _ in range(jobs):
            due = datetime.now(UTC) + timedelta(milliseconds=spacing.uniform(*DEFER_MS))
            job = await queue.enqueue("noop", _defer_until=due)
            result = await queue.wait_for_result(job, timeout=30)
            late.append((result.start_time - due).total_seconds() * 1000)
    return late


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run(jobs: int, *, pin: bool) -> dict[str, object]:
    """Measure each worker on the same private Redis, one after the other."""
    placement = Placement.choose(pin=pin)
    placement.pin_self()
    report: dict[str, object] = {"jobs": jobs, "placement": placement.describe()}
    with redis_server(placement, redis_server_binary()) as server:
        for program in WORKER_PROGRAMS:
            with running_worker(
                placement,
                server.url,
                QUEUE_NAME,
                poll_delay=0.5,
                max_jobs=32,
                program=program,
            ):
                late = asyncio.run(delays(server.url, jobs, seed=17))
            report[program] = {
                "p50_ms": round(statistics.median(late), 2),
                "p99_ms": round(percentile(late, 0.99), 2),
                "max_ms": round(max(late), 2),
                "early": sum(delay < -1 for delay in late),
            }
    return report


def main() -> None:
    """Command line: ``python -m benchmarks.deferred_start``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    report = run(options.jobs, pin=not options.no_pin)
    if options.json:
        print(json.dumps(report))
        return
    print(f"{options.jobs} jobs deferred by {DEFER_MS[0]} to {DEFER_MS[1]} ms, each")
    for program in WORKER_PROGRAMS:
        row = report[program]
        assert isinstance(row, dict)  # noqa: S101 - built above
        print(
            f"{program:>10}: started late by p50 {row['p50_ms']} ms, "
            f"p99 {row['p99_ms']} ms, at most {row['max_ms']} ms; "
            f"{row['early']} more than 1 ms early"
        )


if __name__ == "__main__":
    main()
