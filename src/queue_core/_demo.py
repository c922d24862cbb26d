"""Example tasks, and the runner behind ``queue-core demo``."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final, NoReturn
from uuid import uuid4

from arq.connections import RedisSettings
from arq.constants import (
    health_check_key_suffix,
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from ._config import WorkerSettings
from ._embedded import EmbeddedArqQueue, EmbeddedRedis, in_process_worker
from ._exceptions import JobNotFound, JobNotQueued, JobResultUnavailable
from ._jobs import JobSpec
from ._models import JobResult
from ._redis import RedisArqQueue
from ._signals import HEALTH_COPY_SUFFIX, LISTENING_SUFFIX, WAKE_SUFFIX

__all__ = [
    "DEFER_SECONDS",
    "DemoReport",
    "DemoTaskError",
    "checksum",
    "demo_worker_settings",
    "explode",
    "nap",
    "plan_demo_jobs",
    "run_demo",
]

DEFER_SECONDS: Final = 1.0
"""How long the demo's deferred jobs wait before a worker may run them."""

_SPECIAL_EVERY: Final = 200
"""One failing and one deferred job per this many jobs (at least one each)."""

_PROGRESS_INTERVAL: Final = 0.05
"""Seconds between two looks at the queue's depth (one ZCARD each)."""

_READ_BATCH: Final = 500
"""Results read concurrently; the queue's connection pool bounds it too."""

_CLEANUP_BATCH: Final = 500

_TRICKLE_INTERVAL: Final = 2.0
"""Seconds between two small batches of jobs while the demo is browsed."""


class DemoTaskError(RuntimeError):
    """Raised on purpose by `explode`, so the demo shows a failed job."""


async def checksum(ctx: dict[Any, Any], n: int) -> str:  # noqa: ARG001 - arq's ctx
    """Return a short SHA-256 digest of ``n``: a small piece of real work."""
    return hashlib.sha256(f"queue-core demo {n}".encode()).hexdigest()[:16]


async def explode(ctx: dict[Any, Any], n: int) -> NoReturn:  # noqa: ARG001 - arq's ctx
    """Fail on purpose."""
    msg = f"job {n} failed on purpose"
    raise DemoTaskError(msg)


async def nap(ctx: dict[Any, Any], seconds: float) -> float:  # noqa: ARG001 - arq's ctx
    """Sleep a few seconds, so the browsed demo shows jobs running."""
    await asyncio.sleep(seconds)
    return seconds


def demo_worker_settings(queue_name: str) -> WorkerSettings:
    """Settings for the demo's in-process worker on ``queue_name``."""
    # Measured on the 2-CPU development machine (5 runs of 5,000 checksum
    # jobs per setting, worker, client and redis-server sharing it, other
    # load present): poll_delay 0.005-0.05 s and max_jobs 20-200 all gave
    # 1,100-1,800 jobs/s, medians within 15% of each other. The worker is
    # bound by its per-job Redis round trips, not by polling or concurrency;
    # 0.01 s keeps the idle gap before the deferred jobs and the last batch
    # short, and 100 jobs at once is ample without opening more connections.
    # At N=1000 the whole command takes about 1.5 s, 1 s of it the deferral.
    return WorkerSettings(
        functions=[checksum, explode, nap],
        queue_name=queue_name,
        max_jobs=100,
        poll_delay=0.01,
        # At the end, let running jobs finish (a checksum takes microseconds)
        # rather than cancel them mid-write: arq's close() then has nothing
        # to cancel.
        job_completion_wait=1,
    )


def plan_demo_jobs(count: int) -> list[JobSpec]:
    """``count`` demo jobs: mostly checksums, a few failing, a few deferred.

    From three jobs on, one in every 200 (at least one) fails on purpose and
    as many are deferred by `DEFER_SECONDS`; they are spread through the
    batch rather than bunched at one end.
    """
    specials = 2 * max(1, count // _SPECIAL_EVERY) if count >= 3 else 0  # noqa: PLR2004 - one of each, plus one that succeeds
    positions = [round((k + 0.5) * count / specials) for k in range(specials)]
    failing = set(positions[0::2])
    deferred = set(positions[1::2])
    jobs: list[JobSpec] = []
    for n in range(count):
        if n in failing:
            jobs.append(JobSpec("explode", (n,)))
        elif n in deferred:
            jobs.append(JobSpec("checksum", (n,), defer_by=DEFER_SECONDS))
        else:
            jobs.append(JobSpec("checksum", (n,)))
    return jobs


@dataclass
class DemoReport:
    """What a demo run did, for the command line to print."""

    jobs: int
    """Jobs enqueued."""

    deferred: int
    """Jobs deferred by `DEFER_SECONDS` (they succeed)."""

    failing: int
    """Jobs planned to fail."""

    succeeded: int
    """Jobs that finished successfully."""

    failed: int
    """Jobs that finished with an error."""

    unfinished: int
    """Jobs still queued or running when the time ran out."""

    enqueue_seconds: float
    """Time the single `enqueue_many` call took."""

    elapsed_seconds: float
    """From the start of the enqueue to the last job finishing."""

    throughput: float
    """Jobs per second for the jobs that were not deferred, from the start
    of the enqueue to the last of them finishing."""

    redis_version: str
    """The server's name and version, as "Valkey 9.1.2" or "Redis 7.0.15"."""

    server_pid: int | None
    """The embedded redis-server's process id (`None` on an existing Redis)."""

    server_directory: str | None
    """The embedded redis-server's temporary directory, removed at the end."""

    sample_result: JobResult | None
    """One successful job's result."""

    sample_failure: JobResult | None
    """One failed job's result."""

    worker: str = "queue-core"
    """Whose worker ran the jobs: ``"queue-core"`` or ``"arq"``."""


async def run_demo(
    count: int,
    *,
    redis_settings: RedisSettings | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    timeout: float = 60.0,
    then: Callable[[RedisArqQueue], Awaitable[None]] | None = None,
    arq_worker: bool = False,
) -> DemoReport:
    """Run ``count`` demo jobs through a real worker in this event loop.

    Without ``redis_settings`` a private redis-server is started and stopped
    again; with them, the jobs go to a fresh queue on that Redis, and their
    keys are deleted at the end. Either way the worker runs in-process and is
    stopped before this returns.

    Args:
        count: How many jobs to enqueue.
        redis_settings: An existing Redis to use.
        on_progress: Called with (finished, total) as jobs finish.
        timeout: Seconds to wait for the jobs; those left are reported as
            unfinished.
        then: Run with the queue once the jobs are done, before Redis and
            the worker stop (``demo --browse`` serves the browser), while a
            few new jobs are enqueued every 2 seconds so there is something
            to watch.
        arq_worker: Run arq's own worker instead of queue-core's, to
            compare.

    Raises:
        redis.exceptions.ConnectionError: Redis cannot be reached, or no
            redis-server could be started.
    """
    queue_name = f"queue-core:demo:{uuid4().hex[:12]}"
    settings = demo_worker_settings(queue_name)
    worker = "arq" if arq_worker else "queue-core"
    if redis_settings is None:
        async with _embedded_queue(settings, arq_worker=arq_worker) as queue:
            report = await _drive(queue, count, on_progress, timeout)
            if then is not None:
                await _while_jobs_move(queue, then(queue), [])
            return replace(report, worker=worker)
    client = await RedisArqQueue.initialize(
        redis_settings, default_queue_name=queue_name
    )
    job_ids: list[str] = []
    async with client:
        try:
            async with in_process_worker(
                settings, redis_settings, arq_worker=arq_worker
            ):
                report = await _drive(client, count, on_progress, timeout, job_ids)
                if then is not None:
                    await _while_jobs_move(client, then(client), job_ids)
                return replace(report, worker=worker)
        finally:
            await _delete_keys(client, queue_name, job_ids)


@contextlib.asynccontextmanager
async def _embedded_queue(
    settings: WorkerSettings, *, arq_worker: bool
) -> AsyncIterator[EmbeddedArqQueue]:
    server = EmbeddedRedis()
    try:
        await asyncio.to_thread(server.start)
    except (FileNotFoundError, RuntimeError) as exc:
        msg = f"cannot start: {exc}"
        raise RedisConnectionError(msg) from exc
    try:
        queue = await EmbeddedArqQueue.start(
            worker_settings=settings,
            default_queue_name=settings.queue_name,
            server=server,
            arq_worker=arq_worker,
        )
    except BaseException:
        await asyncio.to_thread(server.stop)
        raise
    async with queue:
        yield queue


async def _drive(
    queue: RedisArqQueue,
    count: int,
    on_progress: Callable[[int, int], None] | None,
    timeout: float,
    job_ids: list[str] | None = None,
) -> DemoReport:
    """Enqueue the jobs, follow them to the end, and read every result."""
    jobs = plan_demo_jobs(count)
    server = queue.server if isinstance(queue, EmbeddedArqQueue) else None
    version = await _redis_version(queue)
    started_at = datetime.now(UTC)
    clock = asyncio.get_running_loop().time
    started = clock()
    outcomes = await queue.enqueue_many(jobs)
    enqueued = clock()
    # Random ids never collide, so every job is queued.
    queued = [
        (outcome.id, spec)
        for outcome, spec in zip(outcomes, jobs, strict=True)
        if not isinstance(outcome, JobNotQueued)
    ]
    ids = [job_id for job_id, _ in queued]
    if job_ids is not None:
        job_ids.extend(ids)
    await _follow(queue, len(ids), on_progress, timeout)
    finished = clock()
    results = await _read_results(queue, ids)
    done = [r for r in results if r is not None]
    deferred_ids = {job_id for job_id, spec in queued if spec.defer_by is not None}
    immediate = [r for r in done if r.id not in deferred_ids]
    return DemoReport(
        jobs=len(ids),
        deferred=len(deferred_ids),
        failing=sum(1 for _, spec in queued if spec.task_name == "explode"),
        succeeded=sum(1 for r in done if r.success),
        failed=sum(1 for r in done if not r.success),
        unfinished=len(results) - len(done),
        enqueue_seconds=enqueued - started,
        elapsed_seconds=finished - started,
        throughput=_throughput(immediate, started_at),
        redis_version=version,
        server_pid=None if server is None else server.pid,
        server_directory=None if server is None else str(server.directory),
        sample_result=next((r for r in done if r.success), None),
        sample_failure=next((r for r in done if not r.success), None),
    )


async def _while_jobs_move(
    queue: RedisArqQueue, main: Awaitable[None], job_ids: list[str]
) -> None:
    """Await ``main`` while a few jobs of each kind are enqueued now and then."""

    async def trickle() -> None:
        for n in itertools.count():
            batch = [
                JobSpec("checksum", (n,)),
                JobSpec("nap", (1 + n % 4,)),
                JobSpec("nap", (2,), defer_by=5 + n % 3),
            ]
            if n % 5 == 4:  # noqa: PLR2004 - a failure now and then
                batch.append(JobSpec("explode", (n,)))
            outcomes = await queue.enqueue_many(batch)
            job_ids.extend(o.id for o in outcomes if not isinstance(o, JobNotQueued))
            await asyncio.sleep(_TRICKLE_INTERVAL)

    moving = asyncio.create_task(trickle())
    try:
        await main
    finally:
        moving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await moving


async def _redis_version(queue: RedisArqQueue) -> str:
    """The server's name and version, or "unknown" where INFO is not allowed.

    As "Valkey 9.1.2" or "Redis 7.0.15": Valkey reports the Redis version
    it is compatible with as ``redis_version``, its own as
    ``valkey_version``.
    """
    try:
        info = await queue.pool.info("server")
    except ResponseError:
        return "unknown"
    if "valkey_version" in info:
        return f"Valkey {info['valkey_version']}"
    if "redis_version" in info:
        return f"Redis {info['redis_version']}"
    return "unknown"


async def _follow(
    queue: RedisArqQueue,
    total: int,
    on_progress: Callable[[int, int], None] | None,
    timeout: float,
) -> None:
    """Poll the queue's depth until it is empty or the time is up."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while True:
                depth = await queue.queue_depth()
                if on_progress is not None:
                    on_progress(total - depth, total)
                if depth == 0:
                    return
                await asyncio.sleep(_PROGRESS_INTERVAL)


async def _read_results(
    queue: RedisArqQueue, job_ids: Sequence[str]
) -> list[JobResult | None]:
    """Every job's result through the client, `None` for unfinished jobs."""

    async def read(job_id: str) -> JobResult | None:
        try:
            return await queue.get_job_result(job_id)
        except (JobNotFound, JobResultUnavailable):
            return None

    results: list[JobResult | None] = []
    for start in range(0, len(job_ids), _READ_BATCH):
        batch = job_ids[start : start + _READ_BATCH]
        results.extend(await asyncio.gather(*(read(i) for i in batch)))
    return results


def _throughput(results: Sequence[JobResult], started_at: datetime) -> float:
    if not results:
        return 0.0
    span = (max(r.finish_time for r in results) - started_at).total_seconds()
    return len(results) / span if span > 0 else float(len(results))


async def _delete_keys(
    queue: RedisArqQueue, queue_name: str, job_ids: Sequence[str]
) -> None:
    """Remove everything the demo wrote to an existing Redis."""
    keys = [
        queue_name,
        queue_name + health_check_key_suffix,
        queue_name + LISTENING_SUFFIX,
        queue_name + WAKE_SUFFIX,
        queue_name + HEALTH_COPY_SUFFIX,
    ]
    for job_id in job_ids:
        keys += [
            prefix + job_id
            for prefix in (
                job_key_prefix,
                result_key_prefix,
                in_progress_key_prefix,
                retry_key_prefix,
            )
        ]
    for start in range(0, len(keys), _CLEANUP_BATCH):
        await queue.pool.delete(*keys[start : start + _CLEANUP_BATCH])
