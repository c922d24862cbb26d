"""`MockArqQueue.run_jobs` where only the mock can be asked: its count, its
keywords, and the Redis it does not have (the rest is in
tests/conformance/test_running.py, against real workers)."""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from arq.cron import cron
from arq.worker import func

from queue_core import (
    JobMetadata,
    JobNotFound,
    JobResult,
    JobStatus,
    MockArqQueue,
    MockRedisUnavailable,
    UnknownWorkerSetting,
    WorkerSettings,
)
from tests import workers

# Every arq task and hook takes ctx first, used or not.
# ruff: noqa: ARG001


@pytest.fixture
def queue() -> MockArqQueue:
    return MockArqQueue(default_queue_name=workers.RUN_QUEUE)


async def uses_redis(ctx: dict[Any, Any]) -> None:
    await ctx["redis"].enqueue_job("echo")


async def probe_redis(ctx: dict[Any, Any]) -> dict[str, Any]:
    copied = copy.deepcopy(ctx)
    return {
        "repr": repr(copied["redis"]),
        "awaitable": hasattr(ctx["redis"], "__await__"),
    }


async def read_client(ctx: dict[Any, Any]) -> Any:
    return ctx["client"]


async def enqueue_echo(ctx: dict[Any, Any], value: int) -> None:
    await ctx["queue"].enqueue("echo", value)


async def wait_for_signal(ctx: dict[Any, Any]) -> str:
    await ctx["signal"].wait()
    return "signalled"


async def send_signal(ctx: dict[Any, Any]) -> None:
    ctx["signal"].set()


async def test_a_run_returns_how_many_times_it_took_a_job_each_try_counted(
    queue: MockArqQueue,
) -> None:
    await queue.enqueue("echo", 1)
    await queue.enqueue("no_such_task")
    retried = await queue.enqueue("retry_at_most_twice")

    # echo and no_such_task once each; two tries, then "max 2 retries exceeded".
    assert await queue.run_jobs(workers.RunSettings) == 5
    assert (await queue.get_job_result(retried.id)).success is False
    assert await queue.run_jobs(workers.RunSettings) == 0


async def test_a_retry_due_within_advance_runs_again_in_the_same_call(
    queue: MockArqQueue,
) -> None:
    job = await queue.enqueue("retry_once", 60)

    ran = await queue.run_jobs(workers.RunSettings, advance=timedelta(minutes=5))

    assert ran == 2
    assert (await queue.get_job_result(job.id)).result == 2


async def test_a_retry_due_after_advance_stays_deferred(queue: MockArqQueue) -> None:
    job = await queue.enqueue("retry_once", 600)

    assert await queue.run_jobs(workers.RunSettings, advance=60) == 1

    assert (await queue.get_job_metadata(job.id)).status is JobStatus.deferred


async def test_a_job_deferred_within_advance_runs_without_waiting(
    queue: MockArqQueue,
) -> None:
    job = await queue.enqueue("read_ctx", _defer_by=timedelta(hours=1))

    assert await queue.run_jobs(workers.RunSettings) == 0
    # The job runs an hour on, and its result (kept an hour) is still there.
    advance = timedelta(hours=1, minutes=30)
    assert await queue.run_jobs(workers.RunSettings, advance=advance) == 1

    assert (await queue.get_job_result(job.id)).result["job_id"] == job.id


async def test_a_job_using_ctx_redis_fails_saying_the_mock_has_no_redis(
    queue: MockArqQueue,
) -> None:
    job = await queue.enqueue("uses_redis")

    await queue.run_jobs({"functions": [uses_redis], "queue_name": None})

    result = await queue.get_job_result(job.id)
    assert result.success is False
    assert isinstance(result.result, MockRedisUnavailable)
    assert 'ctx["redis"].enqueue_job' in str(result.result)
    assert "runs jobs without Redis" in str(result.result)


async def test_ctx_redis_can_be_copied_printed_and_probed_without_an_error(
    queue: MockArqQueue,
) -> None:
    job = await queue.enqueue("probe_redis")

    await queue.run_jobs({"functions": [probe_redis], "queue_name": None})

    result = await queue.get_job_result(job.id)
    assert result.result == {
        "repr": "<no Redis: MockArqQueue.run_jobs>",
        "awaitable": False,
    }


async def test_on_startup_needing_redis_fails_the_run_unless_startup_is_skipped(
    queue: MockArqQueue,
) -> None:
    async def connect(ctx: dict[Any, Any]) -> None:
        ctx["client"] = await ctx["redis"].ping()

    settings = {"functions": [read_client], "on_startup": connect}
    job = await queue.enqueue("read_client", _queue_name="arq:queue")

    with pytest.raises(MockRedisUnavailable, match="without Redis"):
        await queue.run_jobs(settings)
    ran = await queue.run_jobs(settings, startup=False, ctx={"client": "a fake"})

    assert ran == 1
    assert (await queue.get_job_result(job.id, "arq:queue")).result == "a fake"


async def test_startup_false_runs_neither_on_startup_nor_on_shutdown(
    queue: MockArqQueue,
) -> None:
    calls: list[str] = []

    async def startup(ctx: dict[Any, Any]) -> None:
        calls.append("startup")

    async def shutdown(ctx: dict[Any, Any]) -> None:
        calls.append("shutdown")

    settings = WorkerSettings(
        functions=[read_client],
        queue_name=workers.RUN_QUEUE,
        on_startup=startup,
        on_shutdown=shutdown,
    )

    await queue.run_jobs(settings, startup=False)
    assert calls == []
    await queue.run_jobs(settings)
    assert calls == ["startup", "shutdown"]


async def test_a_run_leaves_the_settings_ctx_as_it_was(queue: MockArqQueue) -> None:
    ctx: dict[str, Any] = {"client": "from settings"}
    settings = {"functions": [read_client], "queue_name": workers.RUN_QUEUE, "ctx": ctx}
    job = await queue.enqueue("read_client")

    await queue.run_jobs(settings)

    assert ctx == {"client": "from settings"}
    assert (await queue.get_job_result(job.id)).result == "from settings"


async def test_a_hook_that_raises_stops_the_run_after_on_shutdown_and_keeps_the_job(
    queue: MockArqQueue,
) -> None:
    shut_down: list[bool] = []

    async def broken(ctx: dict[Any, Any]) -> None:
        raise LookupError(ctx["job_id"])

    async def shutdown(ctx: dict[Any, Any]) -> None:
        shut_down.append(True)

    job = await queue.enqueue("read_client")
    settings = {
        "functions": [read_client],
        "queue_name": workers.RUN_QUEUE,
        "on_job_start": broken,
        "on_shutdown": shutdown,
    }

    with pytest.raises(LookupError, match=job.id):
        await queue.run_jobs(settings)

    assert shut_down == [True]
    assert (await queue.get_job_metadata(job.id)).status is JobStatus.queued


async def test_a_job_enqueued_by_a_running_job_runs_in_the_same_call(
    queue: MockArqQueue,
) -> None:
    await queue.enqueue("enqueue_echo", 7)
    settings = {
        "functions": [enqueue_echo, workers.echo],
        "queue_name": workers.RUN_QUEUE,
    }

    assert await queue.run_jobs(settings, ctx={"queue": queue}) == 2

    [echoed] = queue.jobs(name="echo")
    assert (await queue.get_job_result(echoed.id)).result == 7


async def test_jobs_run_side_by_side_up_to_max_jobs(queue: MockArqQueue) -> None:
    waiting = await queue.enqueue("wait_for_signal")
    await queue.enqueue("send_signal")
    settings = {
        "functions": [wait_for_signal, send_signal],
        "queue_name": workers.RUN_QUEUE,
        "max_jobs": 2,
        "job_timeout": 5,
    }

    await queue.run_jobs(settings, ctx={"signal": asyncio.Event()})

    assert (await queue.get_job_result(waiting.id)).result == "signalled"


async def test_max_burst_jobs_caps_a_run(queue: MockArqQueue) -> None:
    await queue.enqueue("echo", 1)
    await queue.enqueue("echo", 2)
    settings = {
        "functions": [workers.echo],
        "queue_name": workers.RUN_QUEUE,
        "max_burst_jobs": 1,
    }

    assert await queue.run_jobs(settings) == 1
    assert await queue.queue_depth() == 1


async def test_a_run_leaves_other_queues_alone(queue: MockArqQueue) -> None:
    other = await queue.enqueue("echo", 1, _queue_name="elsewhere")

    assert await queue.run_jobs(workers.RunSettings) == 0

    metadata = await queue.get_job_metadata(other.id, "elsewhere")
    assert metadata.status is JobStatus.queued


async def test_settings_arq_refuses_are_refused_with_arqs_error(
    queue: MockArqQueue,
) -> None:
    def not_a_coroutine(ctx: dict[Any, Any]) -> None:
        """Not async."""

    with pytest.raises(RuntimeError, match="at least one function"):
        await queue.run_jobs({"functions": []})
    with pytest.raises(RuntimeError, match="is not a coroutine function"):
        await queue.run_jobs({"functions": [not_a_coroutine]})


@pytest.mark.parametrize(
    ("advance", "error"),
    [(-1, ValueError), (timedelta(seconds=-1), ValueError), ("5", TypeError)],
)
async def test_advance_must_be_a_duration_not_in_the_past(
    queue: MockArqQueue, advance: Any, error: type[Exception]
) -> None:
    with pytest.raises(error, match="advance"):
        await queue.run_jobs(workers.RunSettings, advance=advance)


async def test_arq_func_options_and_a_class_of_settings_are_read_as_arq_reads_them(
    queue: MockArqQueue,
) -> None:
    class Settings:
        functions = (func(workers.echo, name="shout", keep_result=0),)
        queue_name = workers.RUN_QUEUE

    job = await queue.enqueue("shout", 1)

    assert await queue.run_jobs(Settings) == 1

    assert queue.jobs() == []
    assert job.name == "shout"


async def tick(ctx: dict[Any, Any]) -> str:
    return str(ctx["job_id"])


async def test_a_run_at_startup_cron_job_runs_once_in_a_run_with_arqs_unique_id(
    queue: MockArqQueue,
) -> None:
    settings = {
        "functions": [],
        "cron_jobs": [cron(tick, run_at_startup=True, keep_result=60)],
        "queue_name": workers.RUN_QUEUE,
    }

    assert await queue.run_jobs(settings) == 1

    [job] = queue.jobs(name="cron:tick")
    assert job.status is JobStatus.complete
    assert job.id.startswith("cron:tick:")
    assert (await queue.get_job_result(job.id)).result == job.id


async def test_a_cron_job_due_within_advance_runs_once_in_the_run(
    queue: MockArqQueue,
) -> None:
    now = datetime.now().astimezone()
    minute = (now.minute + 2) % 60  # once an hour: once in the next 3 minutes
    settings = {
        "cron_jobs": [cron(tick, minute=minute, second=0, keep_result=3600)],
        "queue_name": workers.RUN_QUEUE,
    }

    assert await queue.run_jobs(settings) == 0
    assert await queue.run_jobs(settings, advance=timedelta(minutes=3)) == 1
    [job] = queue.jobs(name="cron:tick")
    assert job.status is JobStatus.complete


async def test_advance_past_keep_result_drops_the_result_with_its_job(
    queue: MockArqQueue,
) -> None:
    settings = {
        "functions": [func(tick, keep_result=10)],
        "queue_name": workers.RUN_QUEUE,
    }
    kept = await queue.enqueue("tick")
    await queue.run_jobs(settings, advance=timedelta(seconds=5))
    assert (await queue.get_job_result(kept.id)).result == kept.id

    await queue.run_jobs(settings, advance=timedelta(seconds=15))

    with pytest.raises(JobNotFound):
        await queue.get_job_metadata(kept.id)


async def test_a_setting_arqs_worker_does_not_know_is_refused_by_name(
    queue: MockArqQueue,
) -> None:
    settings = {"functions": [tick], "max_job": 3}

    with pytest.raises(UnknownWorkerSetting, match="'max_job'"):
        await queue.run_jobs(settings)


async def waiting_then_run(
    queue: MockArqQueue, job: JobMetadata[Any]
) -> asyncio.Task[JobResult[Any]]:
    """A wait for the job that only the run's finish can end in time, then
    the run that takes the job.

    The wait's first read finds the job queued; its next would come after
    its timeout.
    """
    waiter = asyncio.create_task(
        queue.wait_for_result(job, timeout=10, poll_interval=60)
    )
    await asyncio.sleep(0.05)
    settings = {"functions": workers.RUN_FUNCTIONS, "queue_name": workers.RUN_QUEUE}
    assert await queue.run_jobs(settings) == 1
    return waiter


async def test_a_waiter_wakes_when_the_run_finishes_the_job_not_at_its_next_read(
    queue: MockArqQueue,
) -> None:
    job = await queue.enqueue("echo", 7)

    waiter = await waiting_then_run(queue, job)

    assert (await waiter).result == 7


async def test_a_waiter_learns_at_once_that_a_job_left_without_a_kept_result(
    queue: MockArqQueue,
) -> None:
    job = await queue.enqueue("echo_forgotten", 1)

    waiter = await waiting_then_run(queue, job)

    with pytest.raises(JobNotFound):
        await waiter
