"""The mock's jobs as a `JobStore`: what Redis would hold, in a dictionary."""

from __future__ import annotations

import asyncio
import itertools
import os
import socket
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NoReturn

from arq.jobs import JobStatus
from arq.utils import timestamp_ms, to_ms
from typing_extensions import override

from ._jobs import job_status
from ._models import WorkerInfo
from ._progress import ProgressRecorder
from ._runner import JobRunner
from ._store import Claim, JobStore
from ._worker_config import worker_config

__all__ = [
    "MemoryRun",
    "MemoryStore",
    "MockRedisUnavailable",
    "NoRedis",
    "StoredJob",
    "advance_ms",
]


@dataclass(slots=True)
class StoredJob:
    """What Redis would hold for one job: payloads, never live objects."""

    job_id: str
    queue_name: str
    payload: bytes
    score: int
    expires_at_ms: int
    """When Redis would drop the job's data (its key's TTL), in unix ms."""
    in_progress: bool = False
    start_ms: int | None = None
    result: bytes | None = None
    result_expires_at_ms: int | None = None
    """When Redis would drop the kept result (its key's TTL), in unix ms;
    None keeps it forever."""
    tries: int = 0
    """arq's retry counter: how many times a worker took the job."""
    abort_requested: bool = False
    """Whether the job is in arq's set of abort requests."""
    trace: bytes | None = None
    """The enqueuing trace's context (Redis's side key), for telemetry."""
    progress: bytes | None = None
    """The job's last reported progress (Redis's side key), encoded."""

    @property
    def status(self) -> JobStatus:
        return job_status(
            has_result=self.result is not None,
            in_progress=self.in_progress,
            score=self.score,
        )

    def expired(self, now_ms: int) -> bool:
        """Whether Redis would have dropped the job's data (or its result)."""
        if self.result is None:
            return self.expires_at_ms <= now_ms
        return self.result_expired(now_ms)

    def result_expired(self, now_ms: int) -> bool:
        """Whether the job's kept result is gone, and with it the job."""
        expires_at_ms = self.result_expires_at_ms
        return (
            self.result is not None
            and expires_at_ms is not None
            and expires_at_ms <= now_ms
        )


class MockRedisUnavailable(RuntimeError):
    """A job run by `MockArqQueue.run_jobs` used ``ctx["redis"]``.

    The mock runs jobs without Redis; a job (or an ``on_startup`` hook)
    that needs arq's Redis connection has to be tested with embedded mode
    or a real worker, or given what it needs through ``run_jobs(ctx=...)``.
    """


class NoRedis(ProgressRecorder):
    """Stands in for ``ctx["redis"]``: any use raises `MockRedisUnavailable`.

    `report_progress` alone gets through: it records into the mock's jobs.
    """

    __slots__ = ("_jobs",)

    def __init__(self, jobs: dict[str, StoredJob] | None = None) -> None:
        self._jobs = {} if jobs is None else jobs

    @override
    def _record_progress(self, job_id: str, record: bytes) -> bool:
        job = self._jobs.get(job_id)
        if job is None or job.result is not None:
            return False  # as in Redis: no job key, no progress
        job.progress = record
        return True

    def _refuse(self, use: str) -> NoReturn:
        msg = (
            f'ctx["redis"]{use}: MockArqQueue.run_jobs runs jobs without Redis, '
            "so there is no arq Redis connection in ctx; test this job with "
            "embedded mode or a real worker, or pass what it needs with "
            "run_jobs(..., ctx={...})"
        )
        raise MockRedisUnavailable(msg)

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__"):
            # Protocol probes (copy, hasattr(x, "__aenter__")) see nothing.
            raise AttributeError(name)
        self._refuse(f".{name}")

    def __getitem__(self, key: object) -> NoReturn:
        self._refuse(f"[{key!r}]")

    def __call__(self, *_args: object, **_kwargs: object) -> NoReturn:
        self._refuse("(...)")

    def __bool__(self) -> bool:  # noqa: PLE0304 - it never returns
        self._refuse(" used as a truth value")

    @override
    def __repr__(self) -> str:
        return "<no Redis: MockArqQueue.run_jobs>"


def advance_ms(value: float | timedelta, name: str = "advance") -> int:
    """Seconds or a timedelta as milliseconds, refusing what is not a span."""
    if isinstance(value, bool) or not isinstance(value, int | float | timedelta):
        msg = f"{name} must be seconds or a timedelta, not {type(value).__name__}"
        raise TypeError(msg)
    ms = to_ms(value)
    if ms < 0:
        msg = f"{name} must not be negative, got {value!r}"
        raise ValueError(msg)
    return ms


_RUN_NUMBERS: Final = itertools.count(1)
"""Numbers the mock's runs, for their worker ids."""

CronEnqueue = Callable[[str, str | None, str, datetime | None], Any]


class MemoryStore(JobStore):
    """The mock's dictionary, stepped through as arq's worker steps Redis.

    ``advance_ms`` moves the clock forward for what the run sees: jobs due
    within it run as if their time had come, and results whose keep time
    ends within it are gone afterwards. ``on_finish`` is told each job that
    leaves the queue, as the Redis store announces it to result waiters.
    """

    def __init__(
        self,
        jobs: dict[str, StoredJob],
        *,
        advance_ms: int,
        enqueue_cron: CronEnqueue,
        on_finish: Callable[[str], None],
    ) -> None:
        self._jobs = jobs
        self._advance_ms = advance_ms
        self._enqueue_cron = enqueue_cron
        self._on_finish = on_finish
        self._skews: dict[str, int] = {}
        """How far ahead of the clock each claimed job runs (its ``advance``)."""

    def now_ms(self) -> int:
        """The run's clock: now, moved on by ``advance``."""
        return timestamp_ms() + self._advance_ms

    @override
    async def claim(
        self,
        queue_name: str,
        limit: int,
        *,
        read_limit: int,
        in_progress_ms: int,
        abort: bool,
    ) -> list[Claim]:
        now = timestamp_ms()
        horizon = now + self._advance_ms
        due = sorted(
            (
                job
                for job in self._jobs.values()
                if job.queue_name == queue_name
                and job.result is None
                and job.score <= horizon
            ),
            key=lambda job: (job.score, job.job_id),
        )[:read_limit]
        claims: list[Claim] = []
        for job in due:
            if len(claims) >= limit:
                break
            if job.in_progress:
                continue
            skew = max(0, job.score - now)
            self._skews[job.job_id] = skew
            job.in_progress = True
            job.start_ms = now
            job.tries += 1
            aborted = abort and job.abort_requested
            if aborted:
                job.abort_requested = False
            expired = job.expired(now + skew)
            claims.append(
                Claim(
                    job_id=job.job_id,
                    score=job.score,
                    payload=None if expired else job.payload,
                    tries=job.tries,
                    abort=aborted,
                    skew_ms=skew,
                    held_trace=(job.trace,),
                )
            )
        return claims

    @override
    async def set_tries(self, job_id: str, tries: int) -> None:
        job = self._jobs.get(job_id)
        if job is not None:
            job.tries = tries

    @override
    async def finish(
        self,
        job_id: str,
        queue_name: str,
        *,
        result: bytes | None,
        keep_ms: int | None,
        keep_in_progress_ms: int | None,
    ) -> None:
        skew = self._skews.pop(job_id, 0)
        job = self._jobs.get(job_id)
        if job is None:
            return
        job.in_progress = False
        job.abort_requested = False
        if result is None:
            del self._jobs[job_id]
        else:
            job.result = result
            job.result_expires_at_ms = (
                None if keep_ms is None else timestamp_ms() + skew + keep_ms
            )
        self._on_finish(job_id)

    @override
    async def requeue(
        self,
        job_id: str,
        queue_name: str,
        *,
        new_score: int | None,
        keep_in_progress_ms: int | None,
    ) -> None:
        self._skews.pop(job_id, None)
        job = self._jobs.get(job_id)
        if job is None:
            return
        job.in_progress = False
        if new_score is not None:
            job.score = new_score

    @override
    async def take_aborts(self, running: Collection[str]) -> set[str]:
        taken: set[str] = set()
        for job_id in running:
            job = self._jobs.get(job_id)
            if job is not None and job.abort_requested:
                job.abort_requested = False
                taken.add(job_id)
        return taken

    @override
    async def queued(self, queue_name: str) -> int:
        return sum(
            1
            for job in self._jobs.values()
            if job.queue_name == queue_name and job.result is None
        )

    @override
    async def record_health(
        self, queue_name: str, key: str, ttl_ms: int, info: str
    ) -> None:
        """The mock has no health-check key: nothing reads one."""

    @override
    async def enqueue_cron(
        self,
        function_name: str,
        job_id: str | None,
        queue_name: str,
        defer_until: datetime | None,
    ) -> None:
        await self._enqueue_cron(function_name, job_id, queue_name, defer_until)

    def release_unfinished(self) -> None:
        """Queue again the jobs claimed but never finished (a hook raised).

        In Redis their in-progress key would expire, the job still queued.
        """
        for job_id in self._skews:
            job = self._jobs.get(job_id)
            if job is not None:
                job.in_progress = False
        self._skews.clear()

    def drop_expired_results(self) -> None:
        """Forget the jobs whose kept result ends within the run's clock."""
        now = self.now_ms()
        for job_id in [
            job.job_id for job in self._jobs.values() if job.result_expired(now)
        ]:
            del self._jobs[job_id]


class MemoryRun:
    """One `MockArqQueue.run_jobs` call: arq's worker loop until idle.

    The loop of arq's ``main`` in burst mode, over the mock's jobs: cron
    runs enqueued, due jobs claimed for the free slots, aborts honoured,
    until no job is due (within ``advance``) and none is running.
    """

    def __init__(
        self,
        jobs: dict[str, StoredJob],
        worker_settings: object,
        *,
        default_queue_name: str,
        advance: float | timedelta,
        startup: bool,
        ctx: dict[Any, Any] | None,
        enqueue_cron: CronEnqueue,
        on_finish: Callable[[str], None],
    ) -> None:
        self._advance_ms = advance_ms(advance)
        config = worker_config(worker_settings, default_queue_name=default_queue_name)
        self.store = MemoryStore(
            jobs,
            advance_ms=self._advance_ms,
            enqueue_cron=enqueue_cron,
            on_finish=on_finish,
        )
        self.runner = JobRunner(
            self.store, config, {**config.ctx, "redis": NoRedis(jobs), **(ctx or {})}
        )
        self._startup = startup
        self._wake = asyncio.Event()
        self._taken = 0
        self._started_at = datetime.now(tz=UTC)
        self._worker_id = f"mock:{os.getpid()}:{next(_RUN_NUMBERS)}"

    def worker_info(self) -> WorkerInfo:
        """This run as a worker, for `MockArqQueue.list_workers`."""
        runner = self.runner
        return WorkerInfo(
            id=self._worker_id,
            queue_name=runner.queue_name,
            kind="mock",
            host=socket.gethostname(),
            pid=os.getpid(),
            started_at=self._started_at,
            last_beat_at=datetime.now(tz=UTC),
            running=sum(not task.done() for task in runner.tasks.values()),
            complete=runner.jobs_complete,
            failed=runner.jobs_failed,
            retried=runner.jobs_retried,
        )

    @property
    def queue_name(self) -> str:
        """The queue this run takes jobs from (the settings')."""
        return self.runner.queue_name

    def wake(self) -> None:
        """Look at the queue again now: a job or an abort request came in."""
        self._wake.set()

    async def run(self) -> int:
        """Run the jobs that are due; how many times a job was taken."""
        runner = self.runner
        config = runner.config
        try:
            # Inside the try: arq's worker closes, running on_shutdown, even
            # when on_startup raised.
            if self._startup and config.on_startup:
                await config.on_startup(runner.ctx)
            await self._poll()
        finally:
            tasks = list(runner.tasks.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._startup and config.on_shutdown:
                await config.on_shutdown(runner.ctx)
            self.store.release_unfinished()
            self.store.drop_expired_results()
        return self._taken

    async def _poll(self) -> None:
        runner = self.runner
        config = runner.config
        cron_delay = max(config.poll_delay_s, 0.5)
        # arq's worker sets each schedule on its first heartbeat and enqueues
        # from its second; a run has no second heartbeat to wait for.
        now = datetime.now(tz=config.timezone)
        for cron_job in config.cron_jobs:
            if cron_job.next_run is None and not cron_job.run_at_startup:
                cron_job.calculate_next(now)
        while True:
            self._wake.clear()
            if config.cron_jobs:
                await runner.run_cron(
                    datetime.now(tz=config.timezone),
                    cron_delay,
                    horizon_ms=self._advance_ms,
                )
            started = await runner.start_jobs(burst=True)
            self._taken += started
            if config.allow_abort_jobs:
                await runner.cancel_aborted_jobs()
            if not runner.tasks and not started:
                return
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait(
                    [*runner.tasks.values(), woken],
                    return_when=asyncio.FIRST_COMPLETED,
                )
            finally:
                woken.cancel()
            runner.reap()
