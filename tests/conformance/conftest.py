"""The conformance suite's backends: the mock and real Redis, driven alike.

Every test in this directory runs twice, once per backend. Where the mock's
test helpers (`set_in_progress`, `set_complete`) move a job along, the Redis
backend has a real arq worker process do the same, so both must agree on
everything a caller can observe.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from arq.connections import RedisSettings
from arq.utils import import_string, timestamp_ms, to_ms
from redis.asyncio import Redis

from queue_core import (
    ArqQueue,
    JobResult,
    JobStatus,
    MockArqQueue,
    RedisArqQueue,
)
from tests import workers
from tests.conftest import WorkerProcess, run_worker_to_exit, start_worker

IDLE_QUEUE = "conformance:idle"
"""Default queue of the backends under test: no worker ever takes from it."""

WORK_QUEUE = "conformance:work"
"""The queue a real worker serves (on the Redis backend)."""

WAIT = 20.0
"""Longest any test waits for a worker, in seconds."""

T = TypeVar("T")


async def until(read: Callable[[], Awaitable[T]], done: Callable[[T], bool]) -> T:
    """Read until what is read is ``done`` (failing after `WAIT`); the last read."""
    async with asyncio.timeout(WAIT):
        while True:
            value = await read()
            if done(value):
                return value
            await asyncio.sleep(0.02)


def settings_path(name: str) -> str:
    """Where settings named in a test live: a bare name is in tests/workers.py,
    a dotted one is a path (``tests.progress_workers.ProgressSettings``)."""
    return name if "." in name else f"tests.workers.{name}"


def settings_object(name: str) -> Any:
    """The settings `settings_path` names, for the mock's ``run_jobs``."""
    return import_string(settings_path(name))


@dataclass
class Backend:
    """A queue under test and the means to move its jobs along."""

    name: str
    queue: ArqQueue
    start_worker_for: Callable[[str], Any]
    redis: Redis | None = None
    start_settings_worker: Callable[[str], WorkerProcess] | None = None
    run_settings_worker_to_exit: (
        Callable[[str], subprocess.CompletedProcess[str]] | None
    ) = None

    @property
    def mock(self) -> MockArqQueue | None:
        """The queue, if it is the mock."""
        return self.queue if isinstance(self.queue, MockArqQueue) else None

    async def start_worker(self, queue_name: str = WORK_QUEUE) -> None:
        """Have a worker serve a queue (the mock's "worker" is the test)."""
        if self.mock is None:
            await asyncio.to_thread(self.start_worker_for, queue_name)

    async def started(self, job_id: str, queue_name: str = WORK_QUEUE) -> None:
        """Return once a worker has started the job."""
        if self.mock is not None:
            await self.mock.set_in_progress(job_id, queue_name)
            return
        async with asyncio.timeout(WAIT):
            while (
                await self.queue.get_job_metadata(job_id, queue_name)
            ).status is not JobStatus.in_progress:
                await asyncio.sleep(0.02)

    async def finished(self, job_id: str, queue_name: str = WORK_QUEUE) -> JobResult:
        """Return the job's result once a worker has run it.

        The mock runs the same task function the real worker runs and
        records its outcome as the worker would.
        """
        if self.mock is not None:
            job = await self.mock.get_job_metadata(job_id, queue_name)
            while job.status is JobStatus.deferred:  # a worker waits too
                await asyncio.sleep(0.02)
                job = await self.mock.get_job_metadata(job_id, queue_name)
            await self.mock.set_in_progress(job_id, queue_name)
            task = getattr(workers, job.name)
            try:
                value = await task({}, *job.args, **job.kwargs)
            except Exception as exc:  # noqa: BLE001 - recorded as the worker does
                await self.mock.set_complete(
                    job_id, result=exc, success=False, queue_name=queue_name
                )
            else:
                await self.mock.set_complete(
                    job_id, result=value, queue_name=queue_name
                )
        return await self.queue.wait_for_result(
            job_id, queue_name, timeout=WAIT, poll_interval=0.02
        )

    @asynccontextmanager
    async def running(
        self, settings: str, *, advance: float | timedelta = 0
    ) -> AsyncIterator[None]:
        """Run the jobs on `workers.RUN_QUEUE` with the named settings (see
        `settings_path`) while the block runs, then until none is due within
        ``advance``.

        The mock: `MockArqQueue.run_jobs` in a task. Redis: a real worker
        with those settings, stopped once no job is due within ``advance``
        of now (so it waits out what the mock skips over).
        """
        if self.mock is not None:
            run = asyncio.create_task(
                self.mock.run_jobs(settings_object(settings), advance=advance)
            )
            try:
                yield
                async with asyncio.timeout(WAIT):
                    await run
            finally:
                run.cancel()
            return
        assert self.redis is not None
        assert self.start_settings_worker is not None
        worker = await asyncio.to_thread(self.start_settings_worker, settings)
        try:
            yield
            async with asyncio.timeout(WAIT):
                while await self.redis.zcount(
                    workers.RUN_QUEUE, "-inf", timestamp_ms() + to_ms(advance)
                ):
                    await asyncio.sleep(0.02)
        finally:
            await asyncio.to_thread(worker.stop)

    async def run(self, settings: str, *, advance: float | timedelta = 0) -> None:
        """Run the due jobs on `workers.RUN_QUEUE`, as `running` does."""
        async with self.running(settings, advance=advance):
            pass

    async def failed_run(self, settings: str) -> str:
        """Run ``tests.workers.<settings>``, which must fail to start; what
        the failure said (the exception, or the worker's output)."""
        if self.mock is not None:
            with pytest.raises(Exception) as raised:  # noqa: PT011 - any failure
                await self.mock.run_jobs(settings_object(settings))
            return str(raised.value)
        assert self.run_settings_worker_to_exit is not None
        ended = await asyncio.to_thread(self.run_settings_worker_to_exit, settings)
        assert ended.returncode != 0, ended.stdout + ended.stderr
        return ended.stdout + ended.stderr

    async def stored_keys(self) -> int:
        """How many keys Redis holds (the mock: how many jobs), to show
        that a refused call wrote nothing."""
        if self.mock is not None:
            return len(self.mock.jobs())
        assert self.redis is not None
        return int(await self.redis.dbsize())


@pytest.fixture(scope="session")
def conformance_worker(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One real arq worker on WORK_QUEUE for the whole session (lazily)."""
    started: list[WorkerProcess] = []

    def ensure() -> WorkerProcess:
        if not started or started[0].process.poll() is not None:
            started[:] = [
                start_worker(redis_url, WORK_QUEUE, tmp_path_factory.mktemp("worker"))
            ]
        return started[0]

    yield ensure
    for worker in started:
        worker.stop()


@asynccontextmanager
async def backend_for(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    executor: str,
) -> AsyncIterator[Backend]:
    """The backend for an executor: ``"mock"`` (`MockArqQueue`, its
    ``run_jobs`` running jobs), or real Redis with real worker processes of
    ``"arq"`` or ``"queue-core"``."""
    if executor == "mock":
        yield Backend(
            "mock",
            MockArqQueue(default_queue_name=IDLE_QUEUE),
            start_worker_for=lambda _: None,
        )
        return
    redis_url: str = request.getfixturevalue("redis_url")
    settings: RedisSettings = request.getfixturevalue("redis_settings")  # emptied
    ensure_worker = request.getfixturevalue("conformance_worker")
    extra_workers: list[WorkerProcess] = []

    def start_worker_for(queue_name: str) -> None:
        if queue_name == WORK_QUEUE and executor == "arq":
            ensure_worker()
            return
        extra_workers.append(
            start_worker(
                redis_url,
                queue_name,
                tmp_path_factory.mktemp("worker"),
                program=executor,
            )
        )

    def start_settings_worker(name: str) -> WorkerProcess:
        worker = start_worker(
            redis_url,
            workers.RUN_QUEUE,
            tmp_path_factory.mktemp("worker"),
            settings_path=settings_path(name),
            program=executor,
        )
        extra_workers.append(worker)
        return worker

    def run_settings_worker_to_exit(name: str) -> subprocess.CompletedProcess[str]:
        return run_worker_to_exit(
            redis_url,
            workers.RUN_QUEUE,
            settings_path(name),
            timeout=WAIT,
            program=executor,
        )

    queue = await RedisArqQueue.initialize(settings, default_queue_name=IDLE_QUEUE)
    client = Redis.from_url(redis_url)
    try:
        yield Backend(
            "redis",
            queue,
            start_worker_for=start_worker_for,
            redis=client,
            start_settings_worker=start_settings_worker,
            run_settings_worker_to_exit=run_settings_worker_to_exit,
        )
    finally:
        await queue.aclose()
        await client.aclose()
        for worker in extra_workers:
            worker.stop()


EXECUTORS = ["mock", "arq", "queue-core"]
"""What runs jobs: the mock's ``run_jobs``, or real worker processes of arq's
or queue-core's on real Redis. A module runs each of its tests with all
three with ``pytestmark = pytest.mark.parametrize("backend", EXECUTORS,
indirect=True)``."""


@pytest.fixture(params=["mock", "redis"])
async def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    """Each conformance test runs once on the mock and once on real Redis
    (with arq's workers), or with each of the `EXECUTORS` given."""
    executor = "arq" if request.param == "redis" else request.param
    async with backend_for(request, tmp_path_factory, executor) as made:
        yield made


@dataclass(frozen=True)
class Gate:
    """A file that jobs of tests/progress_workers.py wait for."""

    path: str
    """What to pass to the job."""

    def open(self) -> None:
        """Let the waiting jobs go on."""
        Path(self.path).touch()


@pytest.fixture
def gate(tmp_path: Path) -> Gate:
    """A closed `Gate`, for jobs that must run until the test says."""
    return Gate(str(tmp_path / "gate"))
