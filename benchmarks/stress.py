"""Stress: jobs from several client processes, drained by real arq workers.

``uv run python -m benchmarks.stress`` starts a fresh redis-server on
loopback and 2 real arq worker processes, enqueues 50,000 jobs from 4 client
processes (half one by one with many calls in flight, half with
`enqueue_many` in batches), waits until the workers have run them all, and
checks that every job ran exactly once and returned its own argument. It
prints the throughput and each client's peak memory (``ru_maxrss``).
``--jobs``, ``--clients``, ``--workers`` and ``--batch`` change the sizes.

The test suite runs the same client processes at a small size
(tests/reliability/test_load.py), with its own workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from redis import Redis

from benchmarks import worker
from queue_core import (
    EmbeddedRedis,
    JobNotFound,
    JobNotQueued,
    JobResult,
    JobResultUnavailable,
    JobSpec,
    RedisArqQueue,
)
from queue_core._embedded import stop_process

REPO_ROOT = Path(__file__).resolve().parent.parent
TASK = "echo"
"""The task every job runs: it returns its argument, the job's own id."""

_FINISHED_LINE = re.compile(r"← (\S+):(\w+) ●")
"""arq's log line for a finished job: ``0.01s ← <job id>:<task> ● <result>``."""


@dataclass(frozen=True)
class ClientReport:
    """What one client process did."""

    index: int
    enqueued: int
    refused: int
    seconds: float
    max_rss_kib: int


def job_ids(prefix: str, index: int, count: int) -> list[str]:
    """The ids client ``index`` enqueues; the checker computes the same."""
    return [f"{prefix}-c{index}-{n}" for n in range(count)]


def split(jobs: int, clients: int) -> list[int]:
    """How many jobs each client enqueues (they add up to ``jobs``)."""
    share, extra = divmod(jobs, clients)
    return [share + (index < extra) for index in range(clients)]


async def enqueue_jobs(
    url: str, queue_name: str, ids: Sequence[str], *, batch: int, in_flight: int
) -> int:
    """Enqueue one job per id, half one by one, half in batches.

    Returns:
        How many were refused (an id already existed); 0 when all is well.
    """
    half = len(ids) // 2
    singles, batched = iter(ids[:half]), ids[half:]
    refused = 0
    queue = await RedisArqQueue.from_url(url, default_queue_name=queue_name)
    async with queue:

        async def lane() -> None:
            nonlocal refused
            for job_id in singles:
                try:
                    await queue.enqueue(TASK, job_id, _job_id=job_id)
                except JobNotQueued:
                    refused += 1

        async with asyncio.TaskGroup() as group:
            for _ in range(in_flight):
                group.create_task(lane())
        for start in range(0, len(batched), batch):
            outcomes = await queue.enqueue_many(
                JobSpec(TASK, (job_id,), job_id=job_id)
                for job_id in batched[start : start + batch]
            )
            refused += sum(isinstance(outcome, JobNotQueued) for outcome in outcomes)
    return refused


def _client(argv: Sequence[str]) -> None:
    """One client process: enqueue, then print a `ClientReport` as JSON."""
    parser = argparse.ArgumentParser(prog="benchmarks.stress client")
    parser.add_argument("--url", required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--index", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--in-flight", type=int, required=True)
    args = parser.parse_args(argv)
    ids = job_ids(args.prefix, args.index, args.count)
    began = time.perf_counter()
    refused = asyncio.run(
        enqueue_jobs(
            args.url, args.queue, ids, batch=args.batch, in_flight=args.in_flight
        )
    )
    report = ClientReport(
        index=args.index,
        enqueued=len(ids) - refused,
        refused=refused,
        seconds=time.perf_counter() - began,
        # Linux reports kibibytes.
        max_rss_kib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    )
    print(json.dumps(asdict(report)))


def run_clients(
    url: str,
    queue_name: str,
    *,
    jobs: int,
    clients: int,
    prefix: str,
    batch: int = 500,
    in_flight: int = 32,
    timeout: float = 600.0,
) -> list[ClientReport]:
    """Run the client processes at once and collect their reports.

    Raises:
        RuntimeError: A client failed or did not finish within ``timeout``
            seconds; the message has its output.
    """
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.stress",
                "client",
                f"--url={url}",
                f"--queue={queue_name}",
                f"--prefix={prefix}",
                f"--index={index}",
                f"--count={count}",
                f"--batch={batch}",
                f"--in-flight={in_flight}",
            ],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for index, count in enumerate(split(jobs, clients))
    ]
    deadline = time.monotonic() + timeout
    reports: list[ClientReport] = []
    try:
        for process in processes:
            try:
                out, err = process.communicate(
                    timeout=max(0.0, deadline - time.monotonic())
                )
            except subprocess.TimeoutExpired:
                msg = f"a stress client did not finish within {timeout:.0f}s"
                raise RuntimeError(msg) from None
            if process.returncode != 0:
                msg = f"a stress client failed ({process.returncode}): {err.decode()}"
                raise RuntimeError(msg)
            reports.append(ClientReport(**json.loads(out.decode().splitlines()[-1])))
    finally:
        for process in processes:
            stop_process(process, timeout=15)
    return reports


async def wait_until_drained(
    queue: RedisArqQueue, *, timeout: float, poll_interval: float = 0.05
) -> None:
    """Return once the queue holds no job (arq removes a job as it finishes).

    Raises:
        TimeoutError: Jobs were still there after ``timeout`` seconds.
    """
    async with asyncio.timeout(timeout):
        while await queue.queue_depth():  # noqa: ASYNC110 - Redis has no event
            await asyncio.sleep(poll_interval)


async def read_results(
    queue: RedisArqQueue, ids: Sequence[str], *, in_flight: int = 64
) -> tuple[dict[str, JobResult], list[str]]:
    """Read every job's result; return them by id, and the ids without one."""
    results: dict[str, JobResult] = {}
    missing: list[str] = []
    pending = iter(ids)

    async def lane() -> None:
        for job_id in pending:
            try:
                results[job_id] = await queue.get_job_result(job_id)
            except (JobNotFound, JobResultUnavailable):
                missing.append(job_id)

    async with asyncio.TaskGroup() as group:
        for _ in range(in_flight):
            group.create_task(lane())
    return results, missing


def executions(log: str, task: str = TASK) -> Counter[str]:
    """How many times each job id finished, from arq workers' log lines."""
    return Counter(
        job_id for job_id, name in _FINISHED_LINE.findall(log) if name == task
    )


@contextmanager
def _workers(
    url: str, queue_name: str, count: int, log_dir: Path
) -> Iterator[list[Path]]:
    """Real arq worker processes on the queue, ready when yielded; their logs."""
    env = {
        **os.environ,
        **worker.worker_env(url, queue_name, poll_delay=0.05, max_jobs=50),
    }
    logs = [log_dir / f"worker-{n}.log" for n in range(count)]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for log_path in logs:
            with log_path.open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "arq",
                            "benchmarks.worker.WorkerSettings",
                        ],
                        cwd=REPO_ROOT,
                        env=env,
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        client = Redis.from_url(url)
        try:
            deadline = time.monotonic() + 30
            while not client.exists(f"{queue_name}:health-check"):
                if time.monotonic() > deadline:
                    msg = "the arq workers did not start"
                    raise RuntimeError(msg)
                time.sleep(0.05)
        finally:
            client.close()
        yield logs
    finally:
        for process in processes:
            stop_process(process, timeout=15)


@dataclass(frozen=True)
class StressReport:
    """The outcome of a full stress run."""

    jobs: int
    clients: list[ClientReport]
    enqueue_seconds: float
    drain_seconds: float
    wrong: list[str]
    """Ids whose job is missing, failed, ran other than once or was refused."""

    def lines(self) -> list[str]:
        """The report, for people."""
        slowest = max(client.seconds for client in self.clients)
        rows = [
            f"jobs: {self.jobs} from {len(self.clients)} client processes",
            (
                f"enqueue: {self.jobs / slowest:,.0f} jobs/s "
                f"(slowest client {slowest:.2f}s)"
            ),
            (
                f"enqueued and run: {self.jobs / self.drain_seconds:,.0f} jobs/s "
                f"({self.drain_seconds:.2f}s from the clients' start to an empty "
                "queue)"
            ),
        ]
        rows += [
            f"client {c.index}: {c.enqueued} jobs in {c.seconds:.2f}s, "
            f"peak RSS {c.max_rss_kib / 1024:.1f} MiB"
            for c in self.clients
        ]
        rows.append(
            "every job ran exactly once with its own result"
            if not self.wrong
            else f"{len(self.wrong)} jobs went wrong, e.g. {self.wrong[:5]}"
        )
        return rows


async def _check(
    url: str, queue_name: str, ids: Sequence[str], timeout: float
) -> tuple[float, dict[str, JobResult], list[str]]:
    """When the queue was empty, then every job's result and the missing ids."""
    queue = await RedisArqQueue.from_url(url, default_queue_name=queue_name)
    async with queue:
        await wait_until_drained(queue, timeout=timeout)
        drained = time.perf_counter()
        results, missing = await read_results(queue, ids)
    return drained, results, missing


def stress(
    *,
    jobs: int,
    clients: int,
    workers: int,
    batch: int,
    in_flight: int,
    timeout: float,
    redis_server: str | None = None,
) -> StressReport:
    """Run the whole stress test on a fresh redis-server."""
    queue_name = "stress:queue"
    prefix = "stress"
    with (
        tempfile.TemporaryDirectory(prefix="queue-core-stress-") as log_dir,
        EmbeddedRedis(executable=redis_server, tcp=True) as server,
    ):
        with _workers(server.url, queue_name, workers, Path(log_dir)) as logs:
            began = time.perf_counter()
            reports = run_clients(
                server.url,
                queue_name,
                jobs=jobs,
                clients=clients,
                prefix=prefix,
                batch=batch,
                in_flight=in_flight,
                timeout=timeout,
            )
            enqueued = time.perf_counter()
            ids = [
                job_id
                for client in reports
                for job_id in job_ids(prefix, client.index, client.enqueued)
            ]
            drained, results, missing = asyncio.run(
                _check(server.url, queue_name, ids, timeout)
            )
        # The workers have stopped: their logs are complete.
        runs = sum(
            (executions(log.read_text(errors="replace")) for log in logs), Counter()
        )
    wrong = sorted(
        {
            *missing,
            *(i for i, r in results.items() if not r.success or r.result != i),
            *(i for i in ids if runs[i] != 1),
        }
    )
    if sum(client.refused for client in reports):
        wrong.append("(some enqueues were refused)")
    return StressReport(
        jobs=len(ids),
        clients=reports,
        enqueue_seconds=enqueued - began,
        drain_seconds=drained - began,
        wrong=wrong,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stress test (or, as ``client``, one client process)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["client"]:
        _client(argv[1:])
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.stress", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--jobs", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--in-flight", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--redis-server", default=None)
    args = parser.parse_args(argv)
    report = stress(
        jobs=args.jobs,
        clients=args.clients,
        workers=args.workers,
        batch=args.batch,
        in_flight=args.in_flight,
        timeout=args.timeout,
        redis_server=args.redis_server,
    )
    for line in report.lines():
        print(line)
    return 1 if report.wrong else 0


if __name__ == "__main__":
    sys.exit(main())
