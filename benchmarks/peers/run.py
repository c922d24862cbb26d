"""Run the workloads on every library, round after round, on one pinned Redis.

Each measurement starts from an empty Redis (``FLUSHALL``) and a fresh log
directory, runs the library's own worker processes (pinned with the client
to the client CPU, as the other benchmarks pin theirs) and its own client
process, and stops the workers by their process group once every job has
run. Which jobs ran, when, and how often is read from the jobs' own log
lines (`benchmarks.peers.jobs`).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redis import Redis

from benchmarks.peers import jobs, venvs
from benchmarks.peers.libraries import Library
from benchmarks.processes import REPO_ROOT, Placement

THROUGHPUT = "throughput"
LATENCY = "latency"
SCALE = "scale"
WORKLOADS = (THROUGHPUT, LATENCY, SCALE)

GRACE = 0.5
"""Seconds the workers keep running after the last job: a late second run
of a job would show."""
STOP_TIMEOUT = 15.0
POLL = 0.02
"""Seconds between two looks at the jobs' logs."""
CLIENT_TIMEOUT = 900.0


@dataclass(frozen=True)
class Sizes:
    """How much each workload does."""

    jobs: int = 20_000
    """No-op jobs for the throughput runs."""
    processes: tuple[int, ...] = (1, 4)
    """Worker processes in the throughput runs."""
    latency_jobs: int = 200
    """Sequential jobs for pickup and result latency."""
    warmup: int = 5
    """Sequential jobs before those, not measured (connections, scripts)."""
    scale_jobs: int = 1_000
    scale_sleep: float = 1.0
    concurrency: int = 32
    rounds: int = 2

    def ideal_scale_seconds(self) -> float:
        """The at-scale wall time without overhead: full batches of sleeps."""
        return math.ceil(self.scale_jobs / self.concurrency) * self.scale_sleep


FULL = Sizes()
QUICK = Sizes(
    jobs=200,
    latency_jobs=8,
    warmup=2,
    scale_jobs=40,
    scale_sleep=0.1,
    rounds=1,
)


@dataclass
class Log:
    """What the jobs of one measurement logged."""

    runs: dict[int, list[tuple[float, float]]] = field(default_factory=dict)
    """Each tag's runs: (start, end), in the order logged."""
    loops: set[str] = field(default_factory=set)
    """The event loops the workers' jobs ran on."""

    @property
    def lines(self) -> int:
        """Every run of every job."""
        return sum(len(runs) for runs in self.runs.values())

    def check(self, expected: int) -> dict[str, int]:
        """How many of tags ``0..expected-1`` ran, and how many runs were extra."""
        ran = sum(1 for tag in range(expected) if tag in self.runs)
        return {
            "expected": expected,
            "runs": self.lines,
            "missing": expected - ran,
            "extra": self.lines - ran,
        }

    def first_start(self) -> float:
        """When the first job started."""
        return min(runs[0][0] for runs in self.runs.values())

    def all_done(self) -> float:
        """When the last job first finished."""
        return max(runs[0][1] for runs in self.runs.values())


def read_log(directory: Path) -> Log:
    """Parse every worker process's log in a directory."""
    log = Log()
    for path in sorted(directory.iterdir()):
        if path.name.startswith(jobs.LOOP_PREFIX):
            log.loops.add(path.read_text())
        elif path.name.startswith(jobs.RAN_PREFIX):
            for line in path.read_bytes().splitlines():
                tag, start, end = line.split()
                log.runs.setdefault(int(tag), []).append((float(start), float(end)))
    return log


def _logged_lines(directory: Path) -> int:
    return sum(
        entry.stat().st_size // jobs.LINE_LENGTH
        for entry in os.scandir(directory)
        if entry.name.startswith(jobs.RAN_PREFIX)
    )


@dataclass
class Runner:
    """Everything a measurement needs: placement, Redis, interpreters."""

    placement: Placement
    redis_url: str
    redis: Redis
    pythons: dict[str, Path]
    """Each library's interpreter."""
    scratch: Path

    def _env(self, library: Library, log_dir: Path, concurrency: int) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"VIRTUAL_ENV", "PYTHONHOME", "PYTHONPATH"}
        }
        env.update(library.env)
        env[jobs.REDIS_URL_ENV] = self.redis_url
        env[jobs.LOG_DIR_ENV] = str(log_dir)
        env[jobs.CONCURRENCY_ENV] = str(concurrency)
        return env

    def _client(
        self,
        library: Library,
        log_dir: Path,
        command: str,
        *options: str,
    ) -> dict[str, Any]:
        """Run the library's client process; its JSON answer."""
        output = log_dir.parent / f"{log_dir.name}-{command}.json"
        argv = [
            *self.placement.prefix(server=False),
            str(self.pythons[library.key]),
            "-m",
            "benchmarks.peers.client",
            library.module,
            command,
            "--output",
            str(output),
            *options,
        ]
        completed = subprocess.run(
            argv,
            cwd=REPO_ROOT,
            env=self._env(library, log_dir, 0),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            check=False,
        )
        if completed.returncode != 0:
            msg = (
                f"{library.key} client {command} failed ({completed.returncode}):\n"
                f"{completed.stdout}{completed.stderr}"
            )
            raise RuntimeError(msg)
        answer: dict[str, Any] = json.loads(output.read_text())
        output.unlink()
        return answer

    def versions(self, library: Library) -> dict[str, str | None]:
        """The library's installed distributions and their versions."""
        return self._client(library, self.scratch / "versions", "versions")

    @contextmanager
    def _workers(
        self, library: Library, log_dir: Path, processes: int, concurrency: int
    ) -> Iterator[list[subprocess.Popen[bytes]]]:
        """Start the library's worker processes; stop them (and theirs) after."""
        program, *arguments = library.worker
        bin_dir = self.pythons[library.key].parent
        argv = [
            *self.placement.prefix(server=False),
            str(bin_dir / program),
            *arguments,
        ]
        env = self._env(library, log_dir, concurrency)
        started: list[subprocess.Popen[bytes]] = []
        with (log_dir.parent / f"{log_dir.name}.stderr").open("ab") as stderr:
            try:
                started.extend(
                    subprocess.Popen(
                        argv,
                        cwd=REPO_ROOT,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=stderr,
                        start_new_session=True,  # its own group, with its children
                    )
                    for _ in range(processes)
                )
                yield started
            finally:
                _stop(started)

    @contextmanager
    def _measurement(self) -> Iterator[Path]:
        """A flushed Redis and an empty log directory."""
        self.redis.flushall()
        log_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self.scratch))
        try:
            yield log_dir
        finally:
            self.redis.flushall()

    def _await_jobs(
        self,
        log_dir: Path,
        workers: Sequence[subprocess.Popen[bytes]],
        count: int,
        timeout: float,
    ) -> str | None:
        """Wait until every job ran once; why not, if it did not."""
        deadline = time.monotonic() + timeout
        while True:
            if (
                _logged_lines(log_dir) >= count
                and read_log(log_dir).check(count)["missing"] == 0
            ):
                time.sleep(GRACE)
                return None
            if any(worker.poll() is not None for worker in workers):
                return "a worker process exited"
            if time.monotonic() > deadline:
                return f"not every job ran within {timeout:.0f} s"
            time.sleep(POLL)

    def _drain(
        self,
        library: Library,
        *,
        jobs_count: int,
        processes: int,
        concurrency: int,
        seconds: float,
        timeout: float,
    ) -> tuple[Log, dict[str, Any]]:
        """Fill the queue, then run workers until every job ran once."""
        with self._measurement() as log_dir:
            filled = self._client(
                library,
                log_dir,
                "fill",
                "--count",
                str(jobs_count),
                "--seconds",
                str(seconds),
            )
            with self._workers(library, log_dir, processes, concurrency) as workers:
                problem = self._await_jobs(log_dir, workers, jobs_count, timeout)
            log = read_log(log_dir)
            facts: dict[str, Any] = {
                "fill_seconds": filled["seconds"],
                "problem": problem or _stderr_problem(log_dir),
                **log.check(jobs_count),
            }
            return log, facts

    def throughput(
        self, library: Library, sizes: Sizes, processes: int
    ) -> dict[str, Any]:
        """No-op jobs enqueued first, then drained by ``processes`` workers."""
        log, facts = self._drain(
            library,
            jobs_count=sizes.jobs,
            processes=processes,
            concurrency=sizes.concurrency,
            seconds=0.0,
            timeout=max(60.0, sizes.jobs / 50),
        )
        if log.runs:
            elapsed = log.all_done() - log.first_start()
            facts["seconds"] = elapsed
            facts["jobs_per_s"] = len(log.runs) / elapsed if elapsed > 0 else 0.0
        facts["loops"] = sorted(log.loops)
        return facts

    def scale(self, library: Library, sizes: Sizes) -> dict[str, Any]:
        """Sleeping jobs enqueued first, then run by one worker."""
        log, facts = self._drain(
            library,
            jobs_count=sizes.scale_jobs,
            processes=1,
            concurrency=sizes.concurrency,
            seconds=sizes.scale_sleep,
            timeout=sizes.ideal_scale_seconds() * 4 + 60,
        )
        if log.runs:
            wall = log.all_done() - log.first_start()
            facts["wall_seconds"] = wall
            facts["overhead_seconds"] = wall - sizes.ideal_scale_seconds()
        facts["loops"] = sorted(log.loops)
        return facts

    def latency(self, library: Library, sizes: Sizes) -> dict[str, Any]:
        """One idle worker; jobs enqueued one at a time, each awaited."""
        with self._measurement() as log_dir:
            with self._workers(library, log_dir, 1, sizes.concurrency):
                answer = self._client(
                    library,
                    log_dir,
                    "latency",
                    "--count",
                    str(sizes.latency_jobs),
                    "--warmup",
                    str(sizes.warmup),
                )
                time.sleep(GRACE)
            log = read_log(log_dir)
            total = sizes.warmup + sizes.latency_jobs
            pickups: list[float] = []
            results: list[float] = []
            for tag in range(sizes.warmup, total):
                runs = log.runs.get(tag)
                if runs:
                    start, end = runs[0]
                    pickups.append(start - answer["enqueued"][tag])
                    results.append(answer["returned"][tag] - end)
            return {
                **log.check(total),
                "problem": _stderr_problem(log_dir),
                "pickup_s": pickups,
                "result_s": results,
                "timed_out": [t for t in answer["timed_out"] if t >= sizes.warmup],
                "loops": sorted(log.loops),
            }


def _stderr_problem(log_dir: Path) -> str | None:
    """A traceback the workers printed, if any (the last lines of it)."""
    stderr = log_dir.parent / f"{log_dir.name}.stderr"
    if not stderr.is_file():
        return None
    text = stderr.read_text(errors="replace")
    if "Traceback" not in text:
        return None
    return "worker traceback: " + " | ".join(text.strip().splitlines()[-3:])


def _stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each worker's process group (workers may fork); SIGKILL if slow."""
    for process in processes:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        # A worker's own children (taskiq's, streaq's) share its group.
        _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the process group this harness created for one worker."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def interpreters(libraries: Sequence[Library]) -> dict[str, Path]:
    """Each library's Python: the project's, or its own virtualenv's."""
    pythons: dict[str, Path] = {}
    for library in libraries:
        if library.requirements is None:
            pythons[library.key] = Path(sys.executable)
        else:
            pythons[library.key] = venvs.ensure(library.key, library.requirements)
    return pythons


def scratch_directory() -> Path:
    """A directory for the jobs' logs, removed at the end."""
    return Path(tempfile.mkdtemp(prefix="queue-core-peers-"))


def remove(directory: Path) -> None:
    """Remove the scratch directory."""
    shutil.rmtree(directory, ignore_errors=True)
