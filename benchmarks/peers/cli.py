"""``uv run --group bench python -m benchmarks.peers [--quick]``.

queue-core's worker against arq (its defaults, and ``poll_delay`` 0.01),
streaq, saq and taskiq: throughput with 1 and 4 worker processes, pickup
latency, result latency and the overhead at scale, on one redis-server
pinned as the other benchmarks pin it, in alternating rounds. Prints the
settings, the medians, issue 17's targets as YES/NO lines and every job
that did not run exactly once; writes it all as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from redis import Redis

from benchmarks import processes
from benchmarks.peers import report
from benchmarks.peers.libraries import BY_KEY, LIBRARIES, Library
from benchmarks.peers.run import (
    FULL,
    LATENCY,
    QUICK,
    SCALE,
    Runner,
    Sizes,
    interpreters,
    remove,
    scratch_directory,
)

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "results" / "peers.json"


def _measure(
    runner: Runner, library: Library, workload: str, sizes: Sizes
) -> dict[str, Any]:
    """One measurement, and how long it took; a failure is noted, the run goes on."""
    began = time.monotonic()
    try:
        if workload == LATENCY:
            facts = runner.latency(library, sizes)
        elif workload == SCALE:
            facts = runner.scale(library, sizes)
        else:
            facts = runner.throughput(library, sizes, int(workload.rsplit("-", 1)[1]))
    except (RuntimeError, subprocess.SubprocessError) as exc:
        facts = {"problem": str(exc).strip().splitlines()[-1]}
    facts["measurement_seconds"] = round(time.monotonic() - began, 1)
    return facts


def run_rounds(
    runner: Runner, libraries: list[Library], sizes: Sizes
) -> dict[str, report.Rounds]:
    """Every workload on every library, round after round, order alternating."""
    workloads = [report.throughput_key(count) for count in sizes.processes]
    workloads += [LATENCY, SCALE]
    results: dict[str, report.Rounds] = {library.key: {} for library in libraries}
    for number in range(sizes.rounds):
        order = libraries if number % 2 == 0 else libraries[::-1]
        for workload in workloads:
            for library in order:
                print(
                    f"round {number + 1}/{sizes.rounds}: {workload}, {library.key}",
                    file=sys.stderr,
                    flush=True,
                )
                results[library.key].setdefault(workload, []).append(
                    _measure(runner, library, workload, sizes)
                )
    return results


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.peers",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="tiny counts: a smoke run")
    parser.add_argument("--rounds", type=int, help="rounds (default: 2; --quick: 1)")
    parser.add_argument(
        "--library",
        action="append",
        choices=list(BY_KEY),
        help="run only this library (repeatable; default: all)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="JSON file to write"
    )
    processes.add_server_options(parser)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Install the peers if needed, run the rounds, print and save the results."""
    options = _parse(argv)
    sizes = QUICK if options.quick else FULL
    if options.rounds:
        sizes = replace(sizes, rounds=options.rounds)
    chosen = set(options.library or BY_KEY)
    libraries = [library for library in LIBRARIES if library.key in chosen]
    placement = processes.Placement.choose(pin=not options.no_pin)
    placement.pin_self()
    pythons = interpreters(libraries)
    executable = options.redis_server or processes.redis_server_binary()
    scratch = scratch_directory()
    began = time.monotonic()
    try:
        with processes.redis_server(placement, executable) as server:
            if server.port is None:
                msg = "the benchmark's redis-server must listen on TCP"
                raise RuntimeError(msg)
            redis = Redis(host="127.0.0.1", port=server.port)
            runner = Runner(placement, server.url, redis, pythons, scratch)
            versions = {library.key: runner.versions(library) for library in libraries}
            results = run_rounds(runner, libraries, sizes)
            info = cast("dict[str, Any]", redis.info("server"))
            redis_version = str(info["redis_version"])
            redis.close()
    finally:
        remove(scratch)
    labels = {
        library.key: library.label.format_map(versions[library.key])
        for library in libraries
    }
    summaries = {
        library.key: report.summarize(
            labels[library.key], results[library.key], sizes.processes
        )
        for library in libraries
    }
    found = report.targets(summaries, sizes.processes)
    meta = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "run": "quick" if options.quick else "full",
        "seconds": round(time.monotonic() - began, 1),
        "cpu_count": os.cpu_count(),
        "load_average_at_end": [round(load, 2) for load in os.getloadavg()],
        "placement": placement.describe(),
        "python": platform.python_version(),
        "redis_server": redis_version,
        "redis_server_binary": executable,
        "sizes": asdict(sizes),
        "versions": versions,
    }
    print(f"# queue-core's worker against its peers ({meta['run']} run)\n")
    for name, value in meta.items():
        if name != "versions":
            print(f"- {name}: {value}")
    print(f"\n{report.settings_table(libraries, labels, summaries)}\n")
    print(f"{report.results_table(summaries, sizes)}\n")
    print(f"{report.target_lines(found)}\n")
    trouble = report.trouble_lines(summaries)
    print(trouble or "every job ran exactly once in every round, no problems")
    options.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "meta": meta,
        "libraries": {
            library.key: {
                "label": labels[library.key],
                "worker": library.worker_settings,
                "client": library.client_settings,
                "summary": asdict(summaries[library.key]),
                "rounds": results[library.key],
            }
            for library in libraries
        },
        "targets": [asdict(target) for target in found],
    }
    options.output.write_text(json.dumps(document, indent=1) + "\n")
    print(f"\nwrote {options.output}")
    return 0
