"""The stats command: a queue's counts without reading any job."""

from __future__ import annotations

from typing import Any, Final

import click
from arq.constants import (
    health_check_key_suffix,
    in_progress_key_prefix,
    result_key_prefix,
)
from arq.utils import timestamp_ms, to_seconds

from queue_core._cli._app import (
    _json_option,
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
from queue_core._config import _WORKER_DEFAULTS
from queue_core._redis import RedisArqQueue

_ARQ_HEALTH_CHECK_INTERVAL: Final = to_seconds(
    _WORKER_DEFAULTS["health_check_interval"]
)

_SCAN_COUNT: Final = 1000

"""arq's own default, in seconds: how often a worker rewrites its record."""

_NO_EXPIRY: Final = -1
"""What PTTL answers for a key that never expires."""


def _duration(seconds: float) -> str:
    """A length of time, as a person says it: 40 s, 52 min, 2 h 5 min."""
    if seconds < 90:  # noqa: PLR2004 - up to a minute and a half in seconds
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 90:  # noqa: PLR2004 - up to an hour and a half in minutes
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


def _health_age(ttl_ms: int, interval: float) -> float | None:
    """Seconds since a worker wrote its health-check record, if they can be known.

    arq writes the record with a time to live of ``interval + 1`` seconds
    (``Worker.record_health``), so what is left of it tells how long ago
    that was. None if the key does not expire (arq did not write it) or
    outlives the interval (the workers' interval is longer than the one given).
    """
    if ttl_ms == _NO_EXPIRY:
        return None
    age = interval + 1 - ttl_ms / 1000
    return age if age >= 0 else None


def _health_note(age: float | None, ttl_ms: int, interval: float) -> str:
    """One plain sentence on how old the record is and what that means."""
    if age is None and ttl_ms == _NO_EXPIRY:
        return "age unknown: the record never expires, so arq's worker did not write it"
    if age is None:
        return (
            f"age unknown: it outlives a {_duration(interval)} health-check interval; "
            "pass the workers' interval with --health-check-interval"
        )
    if age > interval:
        return (
            f"written {_duration(age)} ago, longer than the workers' "
            f"{_duration(interval)} health-check interval: no worker rewrote it, "
            "so its counts are out of date"
        )
    if age < 1:
        return "written just now"
    return (
        f"written {_duration(age)} ago; its counts may be out of date "
        f"(workers rewrite it every {_duration(interval)}; the counts above are live)"
    )


def _health_document(
    record: bytes | None, ttl_ms: int, interval: float
) -> dict[str, Any] | None:
    if record is None:
        return None
    age = _health_age(ttl_ms, interval)
    return {
        "record": _jsonable(record),
        "age_seconds": None if age is None else round(age, 3),
        "interval_seconds": interval,
        "note": _health_note(age, ttl_ms, interval),
    }


async def _queue_stats(queue: RedisArqQueue, interval: float) -> dict[str, Any]:
    """Counts for one queue, without reading any job's payload."""
    name = queue.default_queue_name
    pool = queue.pool
    now = timestamp_ms()
    async with pool.pipeline(transaction=True) as pipe:
        pipe.zcard(name)
        pipe.zcount(name, f"({now}", "+inf")
        pipe.get(name + health_check_key_suffix)
        pipe.pttl(name + health_check_key_suffix)
        depth, deferred, health, health_ttl = await pipe.execute()
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
        "worker_health_check": _health_document(health, health_ttl, interval),
    }


@cli.command()
@click.option(
    "--health-check-interval",
    "interval",
    type=click.FloatRange(min=0, min_open=True),
    default=_ARQ_HEALTH_CHECK_INTERVAL,
    show_default=True,
    metavar="SECONDS",
    help="The workers' health_check_interval, to tell the record's age.",
)
@_queue_options
@_json_option
def stats(interval: float) -> None:
    """Count a queue's jobs by status, and the results kept in Redis.

    Results are counted over the whole database (arq keys them by job id
    alone) with SCAN, which may count a key twice while Redis resizes. The
    workers' last health-check record is shown with its age: they rewrite it
    only every --health-check-interval seconds, so its counts may be older
    than the live ones.
    """
    counts = _run(lambda queue: _queue_stats(queue, interval))
    if _options().as_json:
        _echo_json(counts)
        return
    health = counts["worker_health_check"]
    fields = [
        ("Queue", counts["queue_name"]),
        ("Depth", str(counts["depth"])),
        ("Queued", str(counts["queued"])),
        ("Deferred", str(counts["deferred"])),
        ("In progress", str(counts["in_progress"])),
        ("Results kept", f"{counts['results_kept']} (all queues)"),
    ]
    if health is None:
        fields.append(("Worker health", "none recorded"))
    else:
        fields += [("Worker health", health["record"]), ("Health age", health["note"])]
    _echo_fields(fields)
