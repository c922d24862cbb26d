"""Calls of typed tasks and queue openings that mypy --strict must reject, each on its line."""

from __future__ import annotations

from typing import Any

from queue_core import ArqMode, ArqQueue, open_arq_queue, task
from tests.typecheck.tasks import Report, build_report


async def wrong_enqueues(queue: ArqQueue) -> None:
    await queue.enqueue(build_report)  # E: call-overload
    await queue.enqueue(build_report, 2026)  # E: call-overload
    await queue.enqueue(build_report, "2026-11", colour="red")  # E: call-arg
    await queue.enqueue(build_report, "2026-11", "2")  # E: call-overload
    await queue.enqueue(build_report, "2026-11", _defer_by=5)  # E: call-arg
    await queue.enqueue(build_report.options(job_id="r-1"))  # E: call-overload
    await queue.enqueue(build_report.options(job_id="r-1"), 11)  # E: call-overload
    build_report.options(job_id=1)  # E: arg-type
    build_report.options(jobid="r-1")  # E: call-arg
    build_report.options(defer_by="soon")  # E: arg-type


async def wrong_results(queue: ArqQueue) -> None:
    job = await queue.enqueue(build_report, "2026-11")
    count: int = (await queue.get_job_result(job)).result  # E: assignment
    await queue.get_job_result(job, "reports")  # E: call-overload
    await queue.wait_for_result(job, "reports")  # E: call-overload
    done = await queue.wait_for_result(job)
    done.result.colour  # noqa: B018  # E: attr-defined
    del count


async def wrong_calls() -> None:
    await build_report({}, 2026)  # E: arg-type
    await build_report({})  # E: call-arg
    await build_report({}, "2026-11", colour="red")  # E: call-arg
    build_report.spec(month=11)  # E: arg-type
    build_report.spec()  # E: call-arg


def wrong_declarations() -> None:
    @task  # E: arg-type
    def not_async(ctx: dict[Any, Any], month: str) -> Report:  # noqa: ARG001
        return Report(month, 1)

    @task(timeout="soon")  # E: call-overload, untyped-decorator
    async def bad_option(ctx: dict[Any, Any]) -> None:
        pass

    @task  # E: arg-type
    async def no_ctx() -> None:
        pass


async def wrong_openings() -> None:
    open_arq_queue(ArqMode.test)  # E: unused-awaitable
    await open_arq_queue(ArqMode.test).enqueue("build_report")  # E: attr-defined
    async with open_arq_queue(ArqMode.test) as queue:
        await queue.enqueue(build_report, 2026)  # E: call-overload
    await open_arq_queue(ArqMode.test, "redis://localhost")  # E: call-arg, arg-type
