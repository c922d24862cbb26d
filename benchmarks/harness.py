"""Timing: sequential and concurrent calls, interleaved rounds, percentiles."""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Call = Callable[[int], Awaitable[Any]]
"""One measured call; it gets the call's index (to pick a job id, say)."""

SEQUENTIAL = "sequential"
CONCURRENT = "concurrent"
BATCH = "batch"


@dataclass
class Row:
    """One line of the results table."""

    operation: str
    implementation: str
    mode: str
    calls: int
    ops_per_s: float
    p50_ms: float
    p99_ms: float
    unit: str = "ops"
    note: str = ""
    round_rates: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Case:
    """One implementation of an operation, measured in rounds with the others."""

    implementation: str
    call: Call
    note: str = ""


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    calls: int = 0


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def paired_ratio(top: Sequence[float], bottom: Sequence[float]) -> float:
    """The median of round-by-round ratios, a second view of the same rounds."""
    return statistics.median(a / b for a, b in zip(top, bottom, strict=True))


async def _sequential(call: Call, start: int, count: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    clock = time.perf_counter
    began = clock()
    for index in range(start, start + count):
        t0 = clock()
        await call(index)
        latencies.append(clock() - t0)
    return clock() - began, latencies


async def _concurrent(
    call: Call, start: int, count: int, in_flight: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    clock = time.perf_counter
    indexes = iter(range(start, start + count))

    async def lane() -> None:
        for index in indexes:
            t0 = clock()
            await call(index)
            latencies.append(clock() - t0)

    began = clock()
    async with asyncio.TaskGroup() as group:
        for _ in range(min(in_flight, count)):
            group.create_task(lane())
    return clock() - began, latencies


async def measure(
    operation: str,
    cases: Sequence[Case],
    *,
    mode: str,
    calls: int,
    rounds: int,
    in_flight: int = 128,
    warmup: int = 20,
) -> list[Row]:
    """Measure every case in ``rounds`` interleaved rounds of ``calls // rounds``.

    Interleaving (in alternating order) spreads the machine's noise over
    every case alike. The rate reported is the best round's: other load on
    the machine only ever slows a round down, so the best round is the
    closest to the code's own speed (as `timeit` takes the minimum). The
    latencies are pooled, and every round's rate is kept.
    """
    per_round = max(1, calls // rounds)
    tallies = [_Tally() for _ in cases]
    for case in cases:
        for index in range(warmup):
            await case.call(index)
    offset = warmup
    for number in range(rounds):
        order = list(zip(cases, tallies, strict=True))
        for case, tally in order if number % 2 == 0 else reversed(order):
            if mode == SEQUENTIAL:
                elapsed, latencies = await _sequential(case.call, offset, per_round)
            else:
                elapsed, latencies = await _concurrent(
                    case.call, offset, per_round, in_flight
                )
            tally.rates.append(per_round / elapsed)
            tally.latencies += latencies
            tally.calls += per_round
        offset += per_round
    return [
        Row(
            operation=operation,
            implementation=case.implementation,
            mode=mode,
            calls=tally.calls,
            ops_per_s=max(tally.rates),
            p50_ms=percentile(tally.latencies, 0.50) * 1000,
            p99_ms=percentile(tally.latencies, 0.99) * 1000,
            note=case.note,
            round_rates=list(tally.rates),
        )
        for case, tally in zip(cases, tallies, strict=True)
    ]
