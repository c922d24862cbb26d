"""safir.arq's string form, unchanged, next to a typed task: the same job."""

import asyncio
from typing import Any

from queue_core import MockArqQueue, task


@task
async def build_report(ctx: dict[Any, Any], month: str) -> str:  # noqa: ARG001
    return f"report for {month}"


async def main() -> None:
    queue = MockArqQueue()
    # --8<-- [start:both]
    # As with safir.arq: a name, arguments, underscored options; not checked.
    by_name = await queue.enqueue("build_report", "2026-11", _job_id="r-1")
    # The typed form of the same job: checked by mypy, result typed as str.
    by_task = await queue.enqueue(build_report.options(job_id="r-2"), "2026-11")
    # --8<-- [end:both]
    for job in (by_name, by_task):
        print(job.id, job.name, job.args)


if __name__ == "__main__":
    asyncio.run(main())
