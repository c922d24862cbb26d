"""The benchmark's processes: a pinned redis-server, workers, redis-benchmark."""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from redis import Redis

from benchmarks import worker
from queue_core import EmbeddedRedis, find_redis_server
from queue_core._embedded import stop_process

REPO_ROOT = Path(__file__).resolve().parent.parent
DEBIAN_REDIS_SERVER = Path("/usr/bin/redis-server")
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Placement:
    """Which CPUs the client side and the server side may run on."""

    client: frozenset[int] | None
    server: frozenset[int] | None

    @classmethod
    def choose(cls, *, pin: bool) -> Placement:
        """Client on the first allowed CPU, server on the second, if we can."""
        cpus = sorted(os.sched_getaffinity(0))
        if not pin or len(cpus) < 2 or shutil.which("taskset") is None:
            return cls(client=None, server=None)
        return cls(client=frozenset({cpus[0]}), server=frozenset({cpus[1]}))

    @staticmethod
    def _text(cpus: frozenset[int] | None) -> str:
        return "any CPU" if cpus is None else "CPU " + ",".join(map(str, sorted(cpus)))

    def describe(self) -> str:
        """Say where things run, for the table and the JSON."""
        return (
            f"client, arq workers and redis-benchmark on {self._text(self.client)}; "
            f"redis-server and the latency proxy on {self._text(self.server)}"
        )

    def pin_self(self) -> None:
        """Pin this (client) process."""
        if self.client is not None:
            os.sched_setaffinity(0, self.client)

    def prefix(self, *, server: bool) -> list[str]:
        """A ``taskset`` prefix for a command on the client or server CPUs."""
        cpus = self.server if server else self.client
        if cpus is None:
            return []
        return ["taskset", "-c", ",".join(map(str, sorted(cpus)))]

    def pin_process(self, pid: int, *, server: bool) -> None:
        """Pin a running process and all its threads."""
        cpus = self.server if server else self.client
        if cpus is not None:
            subprocess.run(
                ["taskset", "-a", "-cp", ",".join(map(str, sorted(cpus))), str(pid)],
                check=True,
                capture_output=True,
            )


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """The options every benchmark takes for its Redis and its CPUs."""
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin processes to CPUs"
    )
    parser.add_argument(
        "--redis-server", help="redis-server binary (default: Debian's, else any)"
    )


def redis_server_binary() -> str:
    """The redis-server to benchmark.

    ``$QUEUE_CORE_REDIS_SERVER`` if set, else Debian's (redis-benchmark's
    version) if installed, else `find_redis_server`'s choice.
    """
    if os.environ.get("QUEUE_CORE_REDIS_SERVER") or not DEBIAN_REDIS_SERVER.is_file():
        return find_redis_server()
    return str(DEBIAN_REDIS_SERVER)


@contextmanager
def redis_server(placement: Placement, executable: str) -> Iterator[EmbeddedRedis]:
    """A private redis-server on a free loopback port, pinned to its CPU."""
    server = EmbeddedRedis(executable=executable, tcp=True)
    server.start()
    try:
        if server.pid is not None:
            placement.pin_process(server.pid, server=True)
        yield server
    finally:
        server.stop()


@contextmanager
def latency_proxy(
    placement: Placement, target_port: int, delay_ms: float
) -> Iterator[int]:
    """Run `benchmarks.proxy` on the server CPU; yield the port it listens on."""
    process = subprocess.Popen(
        [
            *placement.prefix(server=True),
            sys.executable,
            "-m",
            "benchmarks.proxy",
            str(target_port),
            str(delay_ms),
        ],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None  # noqa: S101 - set by Popen
        line = process.stdout.readline()
        if not line.strip():
            msg = "the latency proxy did not start"
            raise RuntimeError(msg)
        yield int(line)
    finally:
        stop_process(process, timeout=15)


WORKER_PROGRAMS = {"arq": ["arq"], "queue-core": ["queue_core", "worker"]}
"""The worker commands, as ``python -m`` arguments: arq's and queue-core's."""


def _worker_argv(
    placement: Placement, *, burst: bool, program: str = "arq"
) -> list[str]:
    argv = [
        *placement.prefix(server=False),
        sys.executable,
        "-m",
        *WORKER_PROGRAMS[program],
        "benchmarks.worker.WorkerSettings",
    ]
    return [*argv, "--burst"] if burst else argv


def _worker_env(
    redis_url: str,
    queue_name: str,
    poll_delay: float,
    max_jobs: int,
    *,
    telemetry: bool = True,
) -> dict[str, str]:
    return {
        **os.environ,
        **worker.worker_env(
            redis_url,
            queue_name,
            poll_delay=poll_delay,
            max_jobs=max_jobs,
            telemetry=telemetry,
        ),
    }


def run_burst_worker(
    placement: Placement,
    redis_url: str,
    queue_name: str,
    *,
    poll_delay: float,
    max_jobs: int,
    program: str = "arq",
    telemetry: bool = True,
) -> None:
    """Run a real worker in burst mode until the queue is drained.

    ``program`` is arq's worker or queue-core's (`WORKER_PROGRAMS`).
    """
    subprocess.run(
        _worker_argv(placement, burst=True, program=program),
        cwd=REPO_ROOT,
        env=_worker_env(
            redis_url, queue_name, poll_delay, max_jobs, telemetry=telemetry
        ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        timeout=300,
    )


@contextmanager
def running_worker(
    placement: Placement,
    redis_url: str,
    queue_name: str,
    *,
    poll_delay: float,
    max_jobs: int,
    program: str = "arq",
) -> Iterator[None]:
    """A real worker process, ready (its health check written) when yielded.

    ``program`` is arq's worker or queue-core's (`WORKER_PROGRAMS`).
    """
    process = subprocess.Popen(
        _worker_argv(placement, burst=False, program=program),
        cwd=REPO_ROOT,
        env=_worker_env(redis_url, queue_name, poll_delay, max_jobs),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = Redis.from_url(redis_url)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not client.exists(f"{queue_name}:health-check"):
            if process.poll() is not None or time.monotonic() > deadline:
                msg = f"the {program} worker did not start (exit code {process.poll()})"
                raise RuntimeError(msg)
            time.sleep(0.02)
        yield
    finally:
        client.close()
        stop_process(process, timeout=15)


@dataclass(frozen=True)
class RedisBenchmarkResult:
    """One redis-benchmark test."""

    test: str
    pipeline: int
    clients: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float


def redis_benchmark_binary() -> str | None:
    """Path of redis-benchmark, if installed."""
    return shutil.which("redis-benchmark")


def run_redis_benchmark(
    placement: Placement,
    binary: str,
    port: int,
    *,
    test: str,
    requests: int,
    pipeline: int,
    clients: int = 1,
) -> RedisBenchmarkResult:
    """Run one redis-benchmark test (CSV output) against the server."""
    completed = subprocess.run(
        [
            *placement.prefix(server=False),
            binary,
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-c",
            str(clients),
            "-n",
            str(requests),
            "-P",
            str(pipeline),
            "-t",
            test,
            "--csv",
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = list(csv.DictReader(completed.stdout.splitlines()))
    if not rows:
        msg = f"redis-benchmark printed no result: {completed.stdout!r}"
        raise RuntimeError(msg)
    row = rows[0]
    return RedisBenchmarkResult(
        test=test.upper(),
        pipeline=pipeline,
        clients=clients,
        requests=requests,
        rps=float(row["rps"]),
        p50_ms=float(row["p50_latency_ms"]),
        p99_ms=float(row["p99_latency_ms"]),
    )
