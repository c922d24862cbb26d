"""The issue's targets, checked on one run's numbers, and the printed tables."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.harness import BATCH, CONCURRENT, SEQUENTIAL, Row, paired_ratio
from benchmarks.suites import (
    BASELINE,
    BASELINE_METADATA,
    BASELINE_RESULT,
    BASELINES,
    BY_TASK,
    BY_TASK_PAIRS,
    ENQUEUE,
    LIMIT,
    METADATA,
    MOCK,
    OURS,
    PIPELINED,
    PIPELINED_SET,
    PROXIED,
    RAW_ENQUEUE,
    REDIS_SET,
    RESULT,
    TELEMETRY,
    TELEMETRY_PAIRS,
    enqueue_many_operation,
)

RowKey = tuple[str, str, str]
"""A row's operation, implementation and mode."""

PROXIED_P50_MS = 1.5
OF_LIMIT = 0.85
"""Each single-job call against one GET + deserialize through redis-py."""
MOCK_ENQUEUES = 100_000
TELEMETRY_RATE = 0.97
"""Telemetry without an SDK may cost at most 3% of enqueue's rate."""
BY_TASK_RATE = 0.97
"""Enqueue by task may cost at most 3% over enqueue by name (in rate)."""


@dataclass
class Target:
    """One target: what was measured, what is wanted, and whether it held."""

    name: str
    measured: float
    wanted: float
    comparison: str
    met: bool
    how: str


def _key(row: Row) -> RowKey:
    return (row.operation, row.implementation, row.mode)


def _at_least(name: str, measured: float, wanted: float, how: str) -> Target:
    return Target(name, measured, wanted, ">=", measured >= wanted, how)


def _ratio(name: str, top: Row, bottom: Row, wanted: float) -> Target:
    """Best round against best round; the paired view is shown alongside."""
    paired = paired_ratio(top.round_rates, bottom.round_rates)
    return _at_least(
        name,
        top.ops_per_s / bottom.ops_per_s,
        wanted,
        f"best rounds (median of paired rounds: {paired:.2f})",
    )


def _paired_target(what: str, reference: Row, measured: Row, wanted: float) -> Target:
    """One call against another: the median latencies of alternating calls."""
    rates = measured.ops_per_s / reference.ops_per_s
    return _at_least(
        f"{what} (median latencies), {measured.implementation}",
        reference.p50_ms / measured.p50_ms,
        wanted,
        f"alternating calls (all calls' rates: {rates:.3f})",
    )


def _paired_targets(by_key: dict[RowKey, Row]) -> list[Target]:
    """The targets measured by alternating calls: by task, and telemetry."""
    targets: list[Target] = []
    for operation, pairs, what, wanted in (
        (BY_TASK, BY_TASK_PAIRS, "enqueue by task / by name", BY_TASK_RATE),
        (
            TELEMETRY,
            # The target is the production queue's; the mock's rows show
            # the same hooks against an in-memory call, for scale.
            {OURS: TELEMETRY_PAIRS[OURS]},
            "enqueue with telemetry on, no SDK / telemetry=False",
            TELEMETRY_RATE,
        ),
    ):
        for first, second in pairs.values():
            reference = by_key.get((operation, first, SEQUENTIAL))
            measured = by_key.get((operation, second, SEQUENTIAL))
            if reference is not None and measured is not None:
                targets.append(_paired_target(what, reference, measured, wanted))
    return targets


def evaluate(rows: list[Row], batch_jobs: int) -> list[Target]:
    """Check every target whose rows this run produced."""
    by_key = {_key(row): row for row in rows}
    targets: list[Target] = []
    for operation, reference, factor, against in (
        (ENQUEUE, BASELINE, 4.0, "safir-style baseline"),
        (METADATA, BASELINE_METADATA, 3.0, "safir-style baseline"),
        (RESULT, BASELINE_RESULT, 3.0, "safir-style baseline"),
        (ENQUEUE, LIMIT, OF_LIMIT, "one GET + deserialize"),
        (METADATA, LIMIT, OF_LIMIT, "one GET + deserialize"),
        (RESULT, LIMIT, OF_LIMIT, "one GET + deserialize"),
    ):
        for mode in (SEQUENTIAL, CONCURRENT):
            ours = by_key.get((operation, OURS, mode))
            base = by_key.get((operation, reference, mode))
            if ours is not None and base is not None:
                targets.append(
                    _ratio(f"{operation}, {mode}: ours / {against}", ours, base, factor)
                )
    many = by_key.get((enqueue_many_operation(batch_jobs), OURS, BATCH))
    raw = by_key.get((ENQUEUE, RAW_ENQUEUE, SEQUENTIAL))
    if many is not None and raw is not None:
        targets.append(
            _at_least(
                "enqueue_many jobs/s / sequential raw arq enqueue_job ops/s",
                many.ops_per_s / raw.ops_per_s,
                10.0,
                "best rounds",
            )
        )
    limit = by_key.get((REDIS_SET, PIPELINED_SET, PIPELINED))
    if many is not None and limit is not None:
        targets.append(
            _ratio(
                "enqueue_many jobs/s / redis-benchmark SET -c 1 -P 16 commands/s",
                many,
                limit,
                0.5,
            )
        )
    proxied = by_key.get((PROXIED, OURS, SEQUENTIAL))
    if proxied is not None:
        targets.append(
            Target(
                "enqueue p50 through the 1 ms proxy, ours (ms)",
                proxied.p50_ms,
                PROXIED_P50_MS,
                "<",
                proxied.p50_ms < PROXIED_P50_MS,
                "p50 of every call",
            )
        )
    targets += _paired_targets(by_key)
    mock = by_key.get((ENQUEUE, MOCK, SEQUENTIAL))
    if mock is not None:
        targets.append(
            _at_least(
                "MockArqQueue enqueues/s, sequential",
                mock.ops_per_s,
                MOCK_ENQUEUES,
                "best round",
            )
        )
    return targets


def format_rows(rows: list[Row]) -> str:
    """The results as a Markdown table, each rate also relative to its baseline."""
    baselines = {
        (row.operation, row.mode): row.ops_per_s
        for row in rows
        if row.implementation in BASELINES
    }
    header = (
        "| operation | implementation | mode | calls | rate /s | p50 ms | p99 ms "
        "| vs baseline |"
    )
    lines = [header, "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        base = baselines.get((row.operation, row.mode))
        ratio = f"{row.ops_per_s / base:.2f}x" if base else ""
        lines.append(
            f"| {row.operation} | {row.implementation} | {row.mode} "
            f"| {row.calls:,} | {row.ops_per_s:,.0f} {row.unit} "
            f"| {row.p50_ms:.3f} | {row.p99_ms:.3f} | {ratio} |"
        )
    return "\n".join(lines)


def format_targets(targets: list[Target]) -> str:
    """The targets as a Markdown table."""
    lines = [
        "| target | measured | wanted | met | how |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    lines += [
        f"| {t.name} | {t.measured:,.2f} | {t.comparison} {t.wanted:,.2f} "
        f"| {'yes' if t.met else 'NO'} | {t.how} |"
        for t in targets
    ]
    return "\n".join(lines)
