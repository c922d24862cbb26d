"""The stats command: a queue's counts without reading any job."""

from __future__ import annotations

from typing import Any

from arq.constants import (
    health_check_key_suffix,
    in_progress_key_prefix,
    result_key_prefix,
)
from arq.utils import timestamp_ms

from queue_core._cli._app import (
    _SCAN_COUNT,
    _options,
    _queue_options,
    _run,
    cli,
)
from queue_core._cli._output import (
    _echo_fields,
    _echo_json,
    _jsonable,
)
from queue_core._redis import RedisArqQueue


async def _queue_stats(queue: RedisArqQueue) -> dict[str, Any]:
    """Counts for one queue, without reading any job's payload."""
    name = queue.default_queue_name
    pool = queue.pool
    now = timestamp_ms()
    async with pool.pipeline(transaction=True) as pipe:
        pipe.zcard(name)
        pipe.zcount(name, f"({now}", "+inf")
        pipe.get(name + health_check_key_suffix)
        depth, deferred, health = await pipe.execute()
    running = {
        key[len(in_progress_key_prefix) :]
        async for key in pool.scan_iter(
            match=in_progress_key_prefix + "*", count=_SCAN_COUNT
        )
    }
    in_progress = 0
    if running:
        async with pool.pipeline(transaction=False) as pipe:
            for job_id in running:
                pipe.zscore(name, job_id)
            scores = await pipe.execute()
        in_progress = sum(score is not None for score in scores)
    kept = 0
    async for _ in pool.scan_iter(match=result_key_prefix + "*", count=_SCAN_COUNT):
        kept += 1
    return {
        "queue_name": name,
        "depth": depth,
        "queued": max(0, depth - deferred - in_progress),
        "deferred": deferred,
        "in_progress": in_progress,
        "results_kept": kept,
        "worker_health_check": None if health is None else _jsonable(health),
    }


@cli.command()
@_queue_options
def stats() -> None:
    """Count a queue's jobs by status, and the results kept in Redis.

    Results are counted over the whole database (arq keys them by job id
    alone) with SCAN, which may count a key twice while Redis resizes.
    """
    counts = _run(_queue_stats)
    if _options().as_json:
        _echo_json(counts)
        return
    _echo_fields(
        [
            ("Queue", counts["queue_name"]),
            ("Depth", str(counts["depth"])),
            ("Queued", str(counts["queued"])),
            ("Deferred", str(counts["deferred"])),
            ("In progress", str(counts["in_progress"])),
            ("Results kept", f"{counts['results_kept']} (all queues)"),
            ("Worker health", counts["worker_health_check"] or "none recorded"),
        ]
    )
