"""What telemetry costs queue-core's worker: jobs/s with it on and off.

``uv run python -m benchmarks.worker_telemetry`` starts a private
redis-server on loopback. Each round fills a queue with ``--jobs`` no-op
jobs and drains it with one ``queue-core worker --burst`` (``max_jobs`` 32)
whose `queue_core.WorkerSettings` have telemetry on (OpenTelemetry's API
installed, no SDK configured: what an app that does not trace pays), then
does the same with ``telemetry=False``, in alternating order round by
round. A drain's rate is its jobs over the time from the first job's start
to the last job's end, read from the results, so start-up is not counted.
It prints each round's rates and the median of the round-by-round ratios
(on / off); issue 17 wants at least 0.97.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics

from redis import Redis

from benchmarks.processes import (
    Placement,
    redis_server,
    redis_server_binary,
    run_burst_worker,
)
from benchmarks.worker_memory import enqueue
from queue_core import JobResult, RedisArqQueue

QUEUE_NAME = "bench:worker-telemetry"
WANTED = 0.97
"""Least rate with telemetry on, as a fraction of the rate with it off."""


async def drain_rate(url: str, jobs: int) -> float:
    """Jobs/s from the first job's start to the last job's end, by the results.

    Raises:
        RuntimeError: Not every job has a result: the run lost some.
    """
    queue = await RedisArqQueue.from_url(url, default_queue_name=QUEUE_NAME)
    results: list[JobResult] = []
    async with queue:
        cursor: str | None = None
        while True:
            page = await queue.list_results(limit=1000, cursor=cursor)
            results += page.results
            cursor = page.cursor
            if cursor is None:
                break
    if len({result.id for result in results}) != jobs:
        msg = f"{len(results)} results for {jobs} jobs"
        raise RuntimeError(msg)
    first = min(result.start_time for result in results)
    last = max(result.finish_time for result in results)
    return jobs / (last - first).total_seconds()


def run(jobs: int, rounds: int, *, pin: bool) -> dict[str, object]:
    """Drain the queue with telemetry on and off, round after round."""
    placement = Placement.choose(pin=pin)
    placement.pin_self()
    rates: dict[str, list[float]] = {"on": [], "off": []}
    with redis_server(placement, redis_server_binary()) as server:
        client = Redis.from_url(server.url)
        try:
            for round_number in range(rounds):
                order = (True, False) if round_number % 2 == 0 else (False, True)
                for telemetry in order:
                    client.flushall()
                    asyncio.run(enqueue(server.url, QUEUE_NAME, jobs))
                    run_burst_worker(
                        placement,
                        server.url,
                        QUEUE_NAME,
                        poll_delay=0.5,
                        max_jobs=32,
                        program="queue-core",
                        telemetry=telemetry,
                    )
                    rate = asyncio.run(drain_rate(server.url, jobs))
                    rates["on" if telemetry else "off"].append(rate)
        finally:
            client.close()
    ratios = [on / off for on, off in zip(rates["on"], rates["off"], strict=True)]
    ratio = statistics.median(ratios)
    return {
        "jobs": jobs,
        "rounds": rounds,
        "placement": placement.describe(),
        "jobs_per_second": {key: [round(r) for r in got] for key, got in rates.items()},
        "ratios": [round(r, 3) for r in ratios],
        "median_ratio": round(ratio, 3),
        "met": ratio >= WANTED,
    }


def main() -> None:
    """Command line: ``python -m benchmarks.worker_telemetry``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    report = run(options.jobs, options.rounds, pin=not options.no_pin)
    if options.json:
        print(json.dumps(report))
        return
    rates = report["jobs_per_second"]
    assert isinstance(rates, dict)  # noqa: S101 - built above
    print(f"{options.jobs:,} no-op jobs a drain, one worker process, max_jobs 32")
    print(f"telemetry on (API, no SDK), jobs/s: {rates['on']}")
    print(f"telemetry off, jobs/s:              {rates['off']}")
    print(f"on / off, round by round: {report['ratios']}")
    print(
        f"{'YES' if report['met'] else 'NO '}  median on / off: "
        f"{report['median_ratio']} (wanted >= {WANTED})"
    )


if __name__ == "__main__":
    main()
