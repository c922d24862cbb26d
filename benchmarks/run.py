"""Run every benchmark, print the tables and write the results as JSON.

``uv run python -m benchmarks`` (``--quick`` for a smoke run with tiny
counts). Everything runs against one private redis-server pinned with
``taskset`` to its own CPU, and every target is a ratio measured in the same
run, in interleaved rounds, because absolute numbers on a shared machine
are mostly noise.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import platform
import pstats
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from arq.connections import create_pool

from benchmarks import browser, processes, report, suites
from benchmarks.baseline import SafirStyleQueue
from benchmarks.harness import Row
from queue_core import EmbeddedRedis, RedisArqQueue, build_arq_redis_settings

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results" / "latest.json"


PARTS: dict[str, Any] = {
    "enqueue": suites.bench_enqueue,
    "by-task": suites.bench_by_task,
    "telemetry": suites.bench_telemetry,
    "metadata": suites.bench_metadata,
    "reads": suites.bench_reads,
    "results": suites.bench_results,
    "batches": suites.bench_batches,
    "proxied": suites.bench_proxied,
    "end-to-end": suites.bench_end_to_end,
    "browser": browser.bench_browser,
}
"""Every part of the benchmark, by the name ``--only`` takes."""


async def run_all(
    sizes: suites.Sizes,
    placement: processes.Placement,
    server: EmbeddedRedis,
    parts: list[str] | None = None,
) -> tuple[list[Row], str]:
    """The parts (default: all), against one server; rows and server version."""
    if server.port is None:
        msg = "the benchmark's redis-server must listen on TCP"
        raise RuntimeError(msg)
    settings = build_arq_redis_settings(server.url)
    ours = await RedisArqQueue.initialize(settings, default_queue_name=suites.QUEUE)
    ours_untimed = await RedisArqQueue.initialize(
        replace(settings, socket_timeout=None), default_queue_name=suites.QUEUE
    )
    ours_untraced = await RedisArqQueue.initialize(
        settings, default_queue_name=suites.QUEUE, telemetry=False
    )
    pool = await create_pool(settings, default_queue_name=suites.QUEUE)
    ctx = suites.Context(
        sizes=sizes,
        placement=placement,
        server_url=server.url,
        server_port=server.port,
        ours=ours,
        ours_untimed=ours_untimed,
        ours_untraced=ours_untraced,
        pool=pool,
        baseline=SafirStyleQueue(pool, suites.QUEUE),
    )
    rows: list[Row] = []
    try:
        for name, part in PARTS.items():
            if parts is not None and name not in parts:
                continue
            await pool.flushdb()
            rows += await part(ctx)
        redis_version = str((await pool.info("server"))["redis_version"])
    finally:
        await ours.aclose()
        await ours_untimed.aclose()
        await ours_untraced.aclose()
        await pool.aclose()
    return rows, redis_version


def _version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def describe(
    options: argparse.Namespace,
    placement: processes.Placement,
    executable: str,
    redis_version: str,
    seconds: float,
) -> dict[str, Any]:
    """What ran, where and with which versions."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": "quick" if options.quick else "full",
        "seconds": round(seconds, 1),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
        "placement": placement.describe(),
        "python": platform.python_version(),
        "arq": _version("arq"),
        "redis_py": _version("redis"),
        "hiredis": _version("hiredis"),
        "redis_server": redis_version,
        "redis_server_binary": executable,
        "in_flight": suites.IN_FLIGHT,
        "worker_settings": [
            {"label": label, "poll_delay": poll_delay, "max_jobs": max_jobs}
            for label, poll_delay, max_jobs in suites.WORKER_CONFIGS
        ],
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the benchmark, print and save the results."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke run")
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write"
    )
    processes.add_server_options(parser)
    parser.add_argument(
        "--profile", type=Path, help="write cProfile stats of this process here"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(PARTS),
        help="run only this part (repeatable); the targets of the others are left out",
    )
    options = parser.parse_args(argv)

    sizes = suites.QUICK if options.quick else suites.FULL
    placement = processes.Placement.choose(pin=not options.no_pin)
    placement.pin_self()
    executable = options.redis_server or processes.redis_server_binary()
    began = time.monotonic()
    profiler = cProfile.Profile() if options.profile else None
    with processes.redis_server(placement, executable) as server:
        if profiler is not None:
            profiler.enable()
        rows, redis_version = asyncio.run(
            run_all(sizes, placement, server, options.only)
        )
        if profiler is not None:
            profiler.disable()
    meta = describe(
        options, placement, executable, redis_version, time.monotonic() - began
    )
    targets = report.evaluate(rows, sizes.batch_jobs)

    print(f"# queue-core benchmark ({meta['run']} run)\n")
    for name, value in meta.items():
        print(f"- {name}: {value}")
    print(f"\n{report.format_rows(rows)}\n\n{report.format_targets(targets)}\n")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "meta": meta,
        "rows": [asdict(row) for row in rows],
        "targets": [asdict(target) for target in targets],
    }
    options.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {options.output}")
    if profiler is not None:
        profiler.dump_stats(options.profile)
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(30)
    return 0
