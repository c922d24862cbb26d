"""The worker comparison runs end to end with tiny counts, so it cannot rot.

arq (twice) and queue-core's worker run from the project's environment on
every Python and server CI tries. streaq, saq and taskiq run from their own
virtualenvs, which the benchmark installs from the package index (a few
seconds with uv, but a network and a minute of runs): marked `packaging`,
they run once a CI run, as the wheel's install test does, and catch a peer
release that breaks the harness. Only behaviour is checked (every row,
every target, every job counted), never speed: timings on a shared machine
prove nothing in a test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks.peers.libraries import ARQ, ARQ_FAST, QUEUE_CORE, SAQ, STREAQ, TASKIQ
from benchmarks.peers.run import LATENCY, QUICK, SCALE

from tests.conftest import run_benchmark

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.timeout(400)]

OURS = (ARQ, ARQ_FAST, QUEUE_CORE)
PEERS = (STREAQ, SAQ, TASKIQ)
WORKLOADS = {"throughput-1", "throughput-4", LATENCY, SCALE}


def _quick_run(directory: Path, libraries: tuple[str, ...]) -> dict[str, Any]:
    """The JSON (and the printout) of ``python -m benchmarks.peers --quick``."""
    output = directory / "peers.json"
    chosen = [option for key in libraries for option in ("--library", key)]
    printed = run_benchmark(
        "benchmarks.peers", "--quick", *chosen, "--output", str(output), timeout=360
    )
    document: dict[str, Any] = json.loads(output.read_text())
    document["stdout"] = printed
    return document


@pytest.fixture(scope="module")
def ours_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A quick run of arq, arq with a short poll, and queue-core's worker."""
    return _quick_run(tmp_path_factory.mktemp("ours"), OURS)


@pytest.fixture(scope="module")
def peers_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A quick run of streaq, saq and taskiq, each from its own virtualenv."""
    return _quick_run(tmp_path_factory.mktemp("peers"), PEERS)


def _assert_every_workload_measured(
    document: dict[str, Any], libraries: tuple[str, ...]
) -> None:
    assert set(document["libraries"]) == set(libraries)
    for key, library in document["libraries"].items():
        assert set(library["rounds"]) == WORKLOADS, key
        assert all(len(rounds) == QUICK.rounds for rounds in library["rounds"].values())
        summary = library["summary"]
        for value in (
            *summary["jobs_per_s"].values(),
            summary["pickup_p50_ms"],
            summary["result_p50_ms"],
            summary["scale_wall_s"],
        ):
            assert value is not None, key
            assert value > 0, key
        assert summary["pickup_p50_ms"] <= summary["pickup_p99_ms"], key
        assert summary["loops"], key
        if key in OURS:
            assert summary["problems"] == [], key
        else:
            # A peer's own trouble (saq misses a result wait now and then)
            # is reported, as the run reports it, not failed.
            assert all(isinstance(problem, str) for problem in summary["problems"])


def _assert_every_table_printed(document: dict[str, Any]) -> None:
    printed = document["stdout"]
    for library in document["libraries"].values():
        assert printed.count(f"| {library['label']} |") == 2  # settings, results
        assert library["worker"] in printed
    for target in document["targets"]:
        verdict = "YES" if target["met"] else "NO "
        assert f"{verdict}  {target['name']}: " in printed


@pytest.mark.redis
def test_a_quick_run_measures_every_workload_of_arq_and_queue_core(
    ours_run: dict[str, Any],
) -> None:
    _assert_every_workload_measured(ours_run, OURS)
    _assert_every_table_printed(ours_run)


@pytest.mark.redis
def test_arq_and_queue_core_run_every_job_exactly_once_in_a_quick_run(
    ours_run: dict[str, Any],
) -> None:
    for key, library in ours_run["libraries"].items():
        assert library["summary"]["violations"] == [], key
        for workload, rounds in library["rounds"].items():
            for entry in rounds:
                assert entry["runs"] == entry["expected"], (key, workload)
                assert entry["missing"] == entry["extra"] == 0, (key, workload)
    assert "every job ran exactly once in every round" in ours_run["stdout"]


@pytest.mark.redis
def test_a_quick_run_checks_every_target_that_needs_no_peer(
    ours_run: dict[str, Any],
) -> None:
    targets = ours_run["targets"]

    # Against arq with 1 and 4 processes, pickup p50, against the fastest
    # other, p99, wait_for_result, exactly once; the best peer's two need one.
    assert len(targets) == 7
    assert all(isinstance(target["met"], bool) for target in targets)


@pytest.mark.packaging
def test_a_quick_run_measures_every_workload_of_the_peers_in_their_virtualenvs(
    peers_run: dict[str, Any],
) -> None:
    _assert_every_workload_measured(peers_run, PEERS)
    _assert_every_table_printed(peers_run)
    assert peers_run["targets"] == []  # without queue-core, nothing to check


@pytest.mark.packaging
def test_every_job_of_the_peers_runs_and_every_extra_run_is_reported(
    peers_run: dict[str, Any],
) -> None:
    # saq may run a job twice (its sweep at start-up): reported, not failed.
    for key, library in peers_run["libraries"].items():
        extra = 0
        for rounds in library["rounds"].values():
            for entry in rounds:
                assert entry["missing"] == 0, key
                assert entry["runs"] == entry["expected"] + entry["extra"], key
                extra += entry["extra"]
        assert (extra > 0) == bool(library["summary"]["violations"]), key
