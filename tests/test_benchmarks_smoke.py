"""The benchmark runs end to end with tiny counts, so it cannot rot.

Only behaviour is checked (every row is there, with positive numbers),
never speed: timings on a shared machine prove nothing in a test.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

import pytest
from benchmarks import browser, suites
from benchmarks.harness import BATCH, CONCURRENT, SEQUENTIAL

from tests.conftest import run_benchmark

pytestmark = [
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.slow,
    pytest.mark.timeout(300),
]


def _expected_rows() -> set[tuple[str, str, str]]:
    both = (SEQUENTIAL, CONCURRENT)
    ours = (suites.OURS, suites.OURS_UNTIMED)
    per_operation = {
        suites.ENQUEUE: (
            *ours,
            suites.BASELINE,
            suites.RAW_ENQUEUE,
            suites.MOCK,
            suites.LIMIT,
        ),
        suites.METADATA: (
            *ours,
            suites.BASELINE_METADATA,
            suites.RAW_STATUS,
            suites.MOCK,
            suites.LIMIT,
        ),
        suites.RESULT: (
            *ours,
            suites.BASELINE_RESULT,
            suites.RAW_RESULT,
            suites.MOCK,
            suites.LIMIT,
        ),
        suites.READS: (
            suites.READ_SCRIPT,
            suites.READ_MULTI,
            suites.READ_PIPELINE,
            suites.READ_GET,
        ),
    }
    rows = {
        (operation, implementation, mode)
        for operation, implementations in per_operation.items()
        for implementation in implementations
        for mode in both
    }
    batch = suites.enqueue_many_operation(suites.QUICK.batch_jobs)
    rows |= {(batch, suites.OURS, BATCH), (batch, suites.MOCK, BATCH)}
    rows |= {
        (operation, implementation, SEQUENTIAL)
        for operation, pairs in (
            (suites.BY_TASK, suites.BY_TASK_PAIRS),
            (suites.TELEMETRY, suites.TELEMETRY_PAIRS),
        )
        for pair in pairs.values()
        for implementation in pair
    }
    rows |= {
        (suites.PROXIED, implementation, SEQUENTIAL)
        for implementation in (suites.OURS, suites.BASELINE, suites.PROXIED_PING)
    }
    rows |= {
        (
            suites.END_TO_END,
            f"arq worker, {label}: poll_delay={poll_delay}, max_jobs={max_jobs}",
            BATCH,
        )
        for label, poll_delay, max_jobs in suites.WORKER_CONFIGS
    }
    jobs = suites.QUICK.browser_jobs
    rows |= {
        (operation, browser.BROWSER, mode)
        for operation in (browser.queues_operation(jobs), browser.jobs_operation(jobs))
        for mode in both
    }
    if shutil.which("redis-benchmark"):
        rows |= {
            (operation, f"redis-benchmark -c 1 -P {pipeline}", mode)
            for operation in (suites.REDIS_SET, suites.REDIS_ZADD)
            for pipeline, mode in ((1, SEQUENTIAL), (16, suites.PIPELINED))
        }
    return rows


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The JSON a ``--quick`` run of ``python -m benchmarks`` wrote."""
    output = tmp_path_factory.mktemp("benchmark") / "latest.json"
    printed = run_benchmark(
        "benchmarks", "--quick", "--output", str(output), timeout=240
    )
    document: dict[str, Any] = json.loads(output.read_text())
    document["stdout"] = printed
    return document


def test_a_quick_run_produces_every_row_with_positive_numbers(
    quick_run: dict[str, Any],
) -> None:
    rows = quick_run["rows"]
    produced = {(r["operation"], r["implementation"], r["mode"]) for r in rows}

    assert produced == _expected_rows()
    for row in rows:
        assert row["calls"] > 0, row
        assert row["ops_per_s"] > 0, row
        assert 0 < row["p50_ms"] <= row["p99_ms"], row


def test_a_quick_run_checks_every_target_on_its_own_numbers(
    quick_run: dict[str, Any],
) -> None:
    names = [target["name"] for target in quick_run["targets"]]

    assert len(names) == (19 if shutil.which("redis-benchmark") else 18)
    assert all(target["measured"] > 0 for target in quick_run["targets"])
    assert all(isinstance(target["met"], bool) for target in quick_run["targets"])


def test_a_quick_run_records_the_machine_and_the_versions(
    quick_run: dict[str, Any],
) -> None:
    meta = quick_run["meta"]

    assert meta["cpu_count"] == os.cpu_count()
    for name in ("python", "arq", "redis_py", "redis_server", "placement"):
        assert meta[name], name
    assert meta["run"] == "quick"


def test_a_quick_run_prints_the_table_and_the_targets(
    quick_run: dict[str, Any],
) -> None:
    printed = quick_run["stdout"]

    for row in quick_run["rows"]:
        assert f"| {row['operation']} | {row['implementation']} |" in printed
    for target in quick_run["targets"]:
        assert f"| {target['name']} |" in printed


# The worker's own benchmarks (the million-job memory run, the telemetry
# cost and the deferred-start comparison, run by hand: docs/benchmarks.md).


def json_report(module: str, *options: str) -> dict[str, Any]:
    """The JSON report of ``python -m benchmarks.<module> --json --no-pin``."""
    printed = run_benchmark(
        f"benchmarks.{module}", *options, "--json", "--no-pin", timeout=150
    )
    report: dict[str, Any] = json.loads(printed)
    return report


def test_the_memory_run_drains_the_queue_and_samples_the_worker() -> None:
    report = json_report("worker_memory", "--jobs", "3000", "--every", "0.1")

    assert report["exit_code"] == 0
    assert report["jobs"] == 3000
    assert report["samples"][0]["queued"] > 0
    assert all(sample["rss_kib"] > 0 for sample in report["samples"][1:])
    assert report["jobs_per_second"] > 0


def test_the_deferred_start_run_reports_both_workers() -> None:
    report = json_report("deferred_start", "--jobs", "3")

    assert report["jobs"] == 3
    for program in ("arq", "queue-core"):
        row = report[program]
        assert row["max_ms"] >= row["p99_ms"] >= row["p50_ms"]
        assert row["early"] == 0


def test_the_telemetry_run_drains_each_round_with_telemetry_on_and_off() -> None:
    report = json_report("worker_telemetry", "--jobs", "300", "--rounds", "2")

    rates = report["jobs_per_second"]
    assert [len(rates["on"]), len(rates["off"])] == [2, 2]
    assert all(rate > 0 for rate in [*rates["on"], *rates["off"]])
    assert len(report["ratios"]) == 2
    assert report["median_ratio"] > 0
