"""Medians over the rounds, the tables, the targets and the exactly-once check."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks.harness import percentile
from benchmarks.peers.libraries import ARQ, PEERS, QUEUE_CORE, Library
from benchmarks.peers.run import LATENCY, SCALE, THROUGHPUT, Sizes
from benchmarks.report import Target

Rounds = dict[str, list[dict[str, Any]]]
"""One library's measurements: per workload key, one entry per round."""

THROUGHPUT_VS_ARQ = 5.0
THROUGHPUT_VS_BEST_PEER = 1.0
PICKUP_P50_MS = 2.0
PICKUP_VS_FASTEST = 1.10
PICKUP_P99_MS = 10.0
RESULT_P50_MS = 2.0


def throughput_key(processes: int) -> str:
    """The workload key of a throughput run with this many worker processes."""
    return f"{THROUGHPUT}-{processes}"


def _median(values: Sequence[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


@dataclass
class Summary:
    """One library's medians over the rounds."""

    label: str
    jobs_per_s: dict[int, float | None] = field(default_factory=dict)
    pickup_p50_ms: float | None = None
    pickup_p99_ms: float | None = None
    result_p50_ms: float | None = None
    result_p99_ms: float | None = None
    scale_wall_s: float | None = None
    scale_overhead_s: float | None = None
    violations: list[str] = field(default_factory=list)
    """Every measurement in which a job ran other than exactly once."""
    problems: list[str] = field(default_factory=list)
    """Worker errors and timed-out waits."""
    loops: list[str] = field(default_factory=list)


def _round_percentiles(
    rounds: list[dict[str, Any]], key: str, fraction: float
) -> float | None:
    """The median over the rounds of each round's percentile, in milliseconds."""
    return _median(
        [
            percentile(entry[key], fraction) * 1000 if entry.get(key) else None
            for entry in rounds
        ]
    )


def _exactly_once(name: str, number: int, entry: dict[str, Any]) -> str | None:
    if entry.get("missing", 0) == 0 and entry.get("extra", 0) == 0 and "runs" in entry:
        return None
    if "runs" not in entry:
        return f"{name}, round {number}: not measured ({entry.get('problem')})"
    return (
        f"{name}, round {number}: {entry['runs']:,} runs for {entry['expected']:,} "
        f"jobs ({entry['missing']:,} never ran, {entry['extra']:,} extra runs)"
    )


def summarize(label: str, rounds: Rounds, processes: Sequence[int]) -> Summary:
    """Medians over the rounds, and whatever went wrong in any of them."""
    summary = Summary(label=label)
    for count in processes:
        summary.jobs_per_s[count] = _median(
            [entry.get("jobs_per_s") for entry in rounds.get(throughput_key(count), [])]
        )
    latency = rounds.get(LATENCY, [])
    summary.pickup_p50_ms = _round_percentiles(latency, "pickup_s", 0.50)
    summary.pickup_p99_ms = _round_percentiles(latency, "pickup_s", 0.99)
    summary.result_p50_ms = _round_percentiles(latency, "result_s", 0.50)
    summary.result_p99_ms = _round_percentiles(latency, "result_s", 0.99)
    scale = rounds.get(SCALE, [])
    summary.scale_wall_s = _median([entry.get("wall_seconds") for entry in scale])
    summary.scale_overhead_s = _median(
        [entry.get("overhead_seconds") for entry in scale]
    )
    loops: set[str] = set()
    for workload, entries in rounds.items():
        for number, entry in enumerate(entries, start=1):
            loops.update(entry.get("loops", []))
            violation = _exactly_once(workload, number, entry)
            if violation is not None:
                summary.violations.append(violation)
            if entry.get("problem"):
                summary.problems.append(
                    f"{workload}, round {number}: {entry['problem']}"
                )
            if entry.get("timed_out"):
                summary.problems.append(
                    f"{workload}, round {number}: {len(entry['timed_out'])} result "
                    "waits timed out"
                )
    summary.loops = sorted(loops)
    return summary


def _ratio(top: float | None, bottom: float | None) -> float | None:
    if top is None or bottom is None or bottom == 0:
        return None
    return top / bottom


def _target(
    name: str, measured: float | None, comparison: str, wanted: float, how: str
) -> Target | None:
    if measured is None:
        return None
    met = measured >= wanted if comparison == ">=" else measured <= wanted
    return Target(name, measured, wanted, comparison, met, how)


def _best(
    values: dict[str, float | None], pick: Callable[[list[float]], float]
) -> tuple[str, float] | None:
    """The best label and its value (``pick`` is `max` or `min`), if any."""
    found = {label: value for label, value in values.items() if value is not None}
    if not found:
        return None
    best = pick(list(found.values()))
    return next(label for label, value in found.items() if value == best), best


def targets(summaries: dict[str, Summary], processes: Sequence[int]) -> list[Target]:
    """Issue 17's targets for queue-core's worker, on this run's medians."""
    ours = summaries.get(QUEUE_CORE)
    if ours is None:
        return []
    found: list[Target | None] = []
    arq = summaries.get(ARQ)
    for count in processes:
        noun = "process" if count == 1 else "processes"
        rate = ours.jobs_per_s.get(count)
        if arq is not None:
            found.append(
                _target(
                    f"throughput, {count} worker {noun}: queue-core / arq's defaults",
                    _ratio(rate, arq.jobs_per_s.get(count)),
                    ">=",
                    THROUGHPUT_VS_ARQ,
                    "median jobs/s over the rounds",
                )
            )
        best = _best(
            {
                summaries[key].label: summaries[key].jobs_per_s.get(count)
                for key in PEERS
                if key in summaries
            },
            max,
        )
        if best is not None:
            found.append(
                _target(
                    f"throughput, {count} worker {noun}: queue-core / the best of "
                    f"streaq, saq and taskiq ({best[0]})",
                    _ratio(rate, best[1]),
                    ">=",
                    THROUGHPUT_VS_BEST_PEER,
                    "median jobs/s over the rounds",
                )
            )
    found.append(
        _target(
            "pickup p50 (ms)",
            ours.pickup_p50_ms,
            "<=",
            PICKUP_P50_MS,
            "median of rounds",
        )
    )
    fastest = _best(
        {
            summary.label: summary.pickup_p50_ms
            for key, summary in summaries.items()
            if key != QUEUE_CORE
        },
        min,
    )
    if fastest is not None:
        found.append(
            _target(
                f"pickup p50: queue-core / the fastest other ({fastest[0]})",
                _ratio(ours.pickup_p50_ms, fastest[1]),
                "<=",
                PICKUP_VS_FASTEST,
                "median of rounds",
            )
        )
    found += [
        _target(
            "pickup p99 (ms)",
            ours.pickup_p99_ms,
            "<=",
            PICKUP_P99_MS,
            "median of rounds",
        ),
        _target(
            "wait_for_result after the job's end, p50 (ms)",
            ours.result_p50_ms,
            "<=",
            RESULT_P50_MS,
            "median of rounds",
        ),
        Target(
            "queue-core: every job exactly once in every round",
            float(len(ours.violations)),
            0.0,
            "==",
            not ours.violations,
            "runs counted from the jobs' own log lines",
        ),
    ]
    return [target for target in found if target is not None]


def _ms(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value < 10:
        return f"{value:.2f} ms"
    if value < 100:
        return f"{value:.1f} ms"
    return f"{value:,.0f} ms"


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _times(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f} s"


def settings_table(
    libraries: Sequence[Library], labels: dict[str, str], summaries: dict[str, Summary]
) -> str:
    """How each library ran: its worker, its client, the event loop seen."""
    lines = [
        "| library | worker | client | event loop (seen in the jobs) |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| {labels[library.key]} | {library.worker_settings} "
        f"| {library.client_settings} "
        f"| {', '.join(summaries[library.key].loops) or 'n/a'} |"
        for library in libraries
    ]
    return "\n".join(lines)


def results_table(summaries: dict[str, Summary], sizes: Sizes) -> str:
    """The medians, one row per library, throughput also relative to arq's."""
    arq = summaries.get(ARQ)
    counts = sizes.processes
    header = ["library"]
    for count in counts:
        noun = "process" if count == 1 else "processes"
        header += [f"jobs/s, {count} {noun}", "x arq"]
    header += [
        "pickup p50",
        "pickup p99",
        "result p50",
        "result p99",
        "at scale: wall",
        "overhead",
        "exactly once",
    ]
    lines = [
        "| " + " | ".join(header) + " |",
        "| --- |" + " ---: |" * (len(header) - 2) + " --- |",
    ]
    for summary in summaries.values():
        cells = [summary.label]
        for count in counts:
            rate = summary.jobs_per_s.get(count)
            base = None if arq is None else arq.jobs_per_s.get(count)
            cells += [_rate(rate), _times(_ratio(rate, base))]
        cells += [
            _ms(summary.pickup_p50_ms),
            _ms(summary.pickup_p99_ms),
            _ms(summary.result_p50_ms),
            _ms(summary.result_p99_ms),
            _seconds(summary.scale_wall_s),
            _seconds(summary.scale_overhead_s),
            "yes" if not summary.violations else "NO",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def target_lines(found: Sequence[Target]) -> str:
    """One YES or NO line per target."""
    return "\n".join(
        f"{'YES' if target.met else 'NO '}  {target.name}: {target.measured:,.2f} "
        f"(wanted {target.comparison} {target.wanted:,.2f}; {target.how})"
        for target in found
    )


def trouble_lines(summaries: dict[str, Summary]) -> str:
    """Every exactly-once violation and problem, loudly."""
    lines = [
        f"!!! EXACTLY-ONCE VIOLATED: {summary.label}, {violation}"
        for summary in summaries.values()
        for violation in summary.violations
    ]
    lines += [
        f"!!  {summary.label}, {problem}"
        for summary in summaries.values()
        for problem in summary.problems
    ]
    return "\n".join(lines)
