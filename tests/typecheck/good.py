"""Calls of typed tasks and ways to open a queue that mypy --strict accepts, and their types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, assert_type, reveal_type

from arq.worker import Function, func

from queue_core import (
    ArqMode,
    ArqQueue,
    ArqQueueOpener,
    JobMetadata,
    JobResult,
    JobSpec,
    MockArqQueue,
    WorkerSettings,
    open_arq_queue,
)
from tests.typecheck.tasks import Report, build_report, send_report


async def enqueue_by_task(queue: ArqQueue) -> None:
    job = await queue.enqueue(build_report, "2026-11")
    assert_type(job, JobMetadata[Report])
    assert_type(await queue.enqueue(build_report, "2026-11", 2), JobMetadata[Report])
    assert_type(
        await queue.enqueue(build_report, month="2026-11", pages=2),
        JobMetadata[Report],
    )
    assert_type(
        await queue.enqueue(send_report, "ops@example.test", urgent=True),
        JobMetadata[bool],
    )
    # R: queue_core._tasks.Task[[month: str, pages: int =], tests.typecheck.tasks.Report]
    reveal_type(build_report)
    # R: queue_core._tasks.TaskOptions[[month: str, pages: int =], tests.typecheck.tasks.Report]
    reveal_type(build_report.options())


async def enqueue_with_options(queue: ArqQueue) -> None:
    options = build_report.options(
        job_id="r-1",
        queue_name="reports",
        defer_by=timedelta(seconds=5),
        expires=60,
        job_try=2,
    )
    assert_type(await queue.enqueue(options, "2026-11"), JobMetadata[Report])
    later = build_report.options(defer_until=datetime(2026, 12, 1, tzinfo=UTC))
    assert_type(await queue.enqueue(later, "2026-11", pages=3), JobMetadata[Report])


async def enqueue_by_name_as_before(queue: ArqQueue) -> None:
    job = await queue.enqueue("build_report", "2026-11", _job_id="r-1", _defer_by=5)
    assert_type(job, JobMetadata[Any])
    assert_type(job, JobMetadata)
    assert_type(await queue.get_job_result(job.id), JobResult[Any])
    assert_type(await queue.get_job_result(job.id, "reports"), JobResult)
    assert_type(await queue.wait_for_result(job.id, "reports", timeout=5), JobResult)


async def typed_results(queue: ArqQueue, mock: MockArqQueue) -> None:
    job = await queue.enqueue(build_report, "2026-11")
    result = await queue.get_job_result(job)
    assert_type(result, JobResult[Report])
    assert_type(result.result, Report)
    assert_type(await queue.wait_for_result(job, timeout=5), JobResult[Report])
    mocked = await mock.enqueue(send_report, "ops@example.test")
    assert_type(await mock.get_job_result(mocked), JobResult[bool])
    assert_type(await mock.wait_for_result(mocked, poll_interval=0.01), JobResult[bool])


def old_annotations_still_fit(
    job: JobMetadata[Report], done: JobResult[Report]
) -> None:
    any_job: JobMetadata = job
    any_result: JobResult = done
    as_metadata: JobMetadata[Report] = done
    widened: JobMetadata[object] = job
    assert_type(any_result.result, Any)
    del any_job, as_metadata, widened


async def batches(queue: ArqQueue) -> None:
    specs = [
        build_report.spec("2026-11"),
        build_report.options(job_id="r-2", defer_by=5).spec("2026-12", pages=2),
        send_report.spec("ops@example.test", urgent=True),
        JobSpec("build_report", ("2026-10",)),
    ]
    assert_type(specs, list[JobSpec])
    await queue.enqueue_many(specs)


async def called_directly() -> None:
    assert_type(await build_report({}, "2026-11"), Report)
    assert_type(await send_report({}, "ops@example.test", urgent=False), bool)


def registered_with_arq() -> None:
    settings = WorkerSettings(functions=[build_report, send_report])

    class ArqWorkerSettings:
        functions = [build_report, send_report]  # noqa: RUF012 - arq's plain form

    assert_type(func(build_report), Function)
    assert_type(build_report.name, str)
    del settings, ArqWorkerSettings


async def opened_either_way() -> None:
    # R: queue_core._factory.ArqQueueOpener
    _ = reveal_type(open_arq_queue(ArqMode.test))
    async with open_arq_queue(ArqMode.test) as entered:
        # R: queue_core._queue.ArqQueue
        reveal_type(entered)
        assert_type(await entered.enqueue(build_report, "2026-11"), JobMetadata[Report])
    awaited = await open_arq_queue(ArqMode.test)
    # R: queue_core._queue.ArqQueue
    reveal_type(awaited)
    await awaited.aclose()
    async with await open_arq_queue(ArqMode.test) as queue:
        assert_type(queue, ArqQueue)
    opener: ArqQueueOpener = open_arq_queue("embedded", worker_settings=None)
    async with opener as queue:
        assert_type(queue, ArqQueue)
