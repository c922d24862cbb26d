"""Typed tasks: declared once, registered with arq, enqueued by reference.

``uv run python docs/examples/typed_tasks.py`` runs it in embedded mode: a
private redis-server and an in-process arq worker, nothing to install.
"""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from queue_core import (
    ArqMode,
    ArqQueue,
    JobMetadata,
    JobNotQueued,
    WorkerSettings,
    open_arq_queue,
    task,
)


# --8<-- [start:declare]
@dataclass
class Report:
    month: str
    pages: int


@task
async def build_report(ctx: dict[Any, Any], month: str, pages: int = 1) -> Report:  # noqa: ARG001
    """Build one month's report (arq passes ctx; callers never do)."""
    return Report(month, pages)


@task(name="reports.send", timeout=timedelta(minutes=2), max_tries=3)
async def send_report(ctx: dict[Any, Any], month: str, *, to: str) -> str:  # noqa: ARG001
    """Send a month's report; registered as "reports.send"."""
    return f"{month} sent to {to}"


# A task is an arq Function: it goes into the settings like any function.
worker_settings = WorkerSettings(functions=[build_report, send_report], poll_delay=0.05)
# --8<-- [end:declare]


async def enqueue_with_options(queue: ArqQueue) -> JobMetadata[str]:
    # --8<-- [start:options]
    once = send_report.options(job_id="send-2026-11", defer_by=1)
    job = await queue.enqueue(once, "2026-11", to="ops@example.test")
    try:
        await queue.enqueue(once, "2026-12", to="ops@example.test")
    except JobNotQueued as refused:  # the same id again, as with _job_id
        print(f"refused a second {refused.job_id}")
    # --8<-- [end:options]
    return job


async def enqueue_a_batch(queue: ArqQueue) -> list[str]:
    # --8<-- [start:batch]
    outcomes = await queue.enqueue_many(
        [build_report.spec(month, pages=1) for month in ("2026-09", "2026-10")]
        + [send_report.options(defer_by=60).spec("2026-10", to="ops@example.test")]
    )
    # --8<-- [end:batch]
    return [job.name for job in outcomes if isinstance(job, JobMetadata)]


async def main() -> None:
    # --8<-- [start:enqueue]
    async with open_arq_queue(
        ArqMode.embedded, worker_settings=worker_settings
    ) as queue:
        job = await queue.enqueue(build_report, "2026-11", pages=2)
        # job is a JobMetadata[Report]: passing it back gives a typed result.
        result = await queue.wait_for_result(job, timeout=30)
        report: Report = result.result
        # --8<-- [end:enqueue]
        print(f"build_report -> {report}")
        sent = await enqueue_with_options(queue)
        sent_result = await queue.wait_for_result(sent, timeout=30)
        print(f"{sent.name} ({sent.id}) -> {sent_result.result}")
        print(f"batch -> {await enqueue_a_batch(queue)}")


if __name__ == "__main__":
    asyncio.run(main())
