"""Tasks that report progress, or fail; run by ``queue-core worker``."""

import asyncio
from typing import Any

from queue_core import WorkerSettings as QueueWorkerSettings
from queue_core import report_progress


async def resize(name: str) -> None:
    await asyncio.sleep(len(name) / 1000)  # the real work


async def resize_images(ctx: dict[Any, Any], names: list[str]) -> int:
    for done, name in enumerate(names):
        # One Redis round trip; callers read it with get_job_metadata.
        await report_progress(ctx, done, len(names), f"resizing {name}")
        await resize(name)
    await report_progress(ctx, len(names), len(names), "done")
    return len(names)


async def upload(ctx: dict[Any, Any], name: str) -> None:  # noqa: ARG001 - arq passes ctx to every task
    msg = f"the storage refused {name}"
    raise ConnectionError(msg)


WorkerSettings = QueueWorkerSettings(functions=[resize_images, upload])
