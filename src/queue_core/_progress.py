"""Job progress: what a running job reports, kept in a side key beside arq's.

A job calls `report_progress` with its ctx; the record goes to the side key
``arq:progress:<job id>`` (`PROGRESS_KEY_PREFIX`), which expires with the
job's own key, and `get_job_metadata` reads it in its one round trip. The
record is JSON whatever the job serializer, so any client reads it and
none unpickles it; it is bounded: the message is cut to
`PROGRESS_MESSAGE_LIMIT` characters.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Final

from arq.constants import job_key_prefix
from arq.utils import ms_to_datetime, timestamp_ms
from redis.exceptions import NoScriptError

from ._models import JobProgress

__all__ = [
    "PROGRESS_KEY_PREFIX",
    "PROGRESS_MESSAGE_LIMIT",
    "ProgressRecorder",
    "decode_progress",
    "encode_progress",
    "report_progress",
]

PROGRESS_KEY_PREFIX: Final = "arq:progress:"
"""Prefix of the side key holding a job's last reported progress.

Set with the job key's remaining time to live, so it expires with the job;
queue-core's worker gives it the result's expiry when the job finishes (or
deletes it with the job when no result is kept)."""

PROGRESS_MESSAGE_LIMIT: Final = 200
"""Longest progress message kept, in characters; a longer one is cut, and
ends with an ellipsis."""

_FALLBACK_TTL_MS: Final = 86_400_000
"""Time to live of a progress record whose job key never expires (arq's
keys always do; a day, as arq keeps a job's key by default)."""

# Set the progress record to live as long as the job's key: nothing if the
# job's key is gone (it finished, or expired). KEYS: job key, progress key.
# ARGV: the record. Returns 1 if recorded, else 0.
_RECORD_SOURCE: Final = f"""
local ttl = redis.call('PTTL', KEYS[1])
if ttl == -2 then return 0 end
if ttl < 0 then ttl = {_FALLBACK_TTL_MS} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ttl)
return 1
"""
_RECORD_SHA: Final = hashlib.sha1(
    _RECORD_SOURCE.encode(), usedforsecurity=False
).hexdigest()

_ELLIPSIS: Final = "…"


class ProgressRecorder:
    """A ``ctx["redis"]`` stand-in that keeps progress itself (the mock's)."""

    __slots__ = ()

    def _record_progress(self, job_id: str, record: bytes) -> bool:
        """Keep a job's encoded progress; whether the job was there to keep it."""
        raise NotImplementedError


def _number(value: object, name: str, *, optional: bool) -> float | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        expected = "a number" + (" or None" if optional else "")
        msg = f"{name} must be {expected}, not {type(value).__name__}"
        raise TypeError(msg)
    if not math.isfinite(value) or value < 0:
        msg = f"{name} must be a finite number, at least 0, got {value!r}"
        raise ValueError(msg)
    return value


def _message(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        msg = f"message must be a str or None, not {type(value).__name__}"
        raise TypeError(msg)
    if len(value) > PROGRESS_MESSAGE_LIMIT:
        return value[: PROGRESS_MESSAGE_LIMIT - 1] + _ELLIPSIS
    return value


def encode_progress(
    done: float, total: float | None, message: str | None, now_ms: int
) -> bytes:
    """A progress record, checked and bounded, as the side key holds it.

    Raises:
        TypeError: ``done`` or ``total`` is not a number, or ``message``
            not a string.
        ValueError: ``done`` or ``total`` is negative or not finite.
    """
    _number(done, "done", optional=False)
    _number(total, "total", optional=True)
    record = {"done": done, "total": total, "message": _message(message), "at": now_ms}
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


def decode_progress(record: bytes | str | None) -> JobProgress | None:
    """The progress a record holds; `None` for no record or one unreadable."""
    if record is None:
        return None
    try:
        data = json.loads(record)
        done, total, message = data["done"], data["total"], data["message"]
        updated_at = ms_to_datetime(int(data["at"]))
        return JobProgress(
            done=float(done),
            total=None if total is None else float(total),
            message=None if message is None else str(message),
            updated_at=updated_at,
        )
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


async def _record_on_redis(redis: Any, job_id: str, record: bytes) -> bool:
    keys = (job_key_prefix + job_id, PROGRESS_KEY_PREFIX + job_id)
    try:
        done = await redis.evalsha(_RECORD_SHA, 2, *keys, record)
    except NoScriptError:
        done = await redis.eval(_RECORD_SOURCE, 2, *keys, record)
    return bool(done)


async def report_progress(
    ctx: dict[Any, Any],
    done: float,
    total: float | None = None,
    message: str | None = None,
) -> None:
    """Record how far the running job is, for `get_job_metadata` to read.

    Call it from a job with the ctx the worker passed: under queue-core's
    worker and arq's it writes through ``ctx["redis"]`` (one round trip);
    under `MockArqQueue.run_jobs` the mock keeps it. Each call replaces the
    last; the record lives as long as the job's data (docs/progress.md).
    Called with a ctx that has no ``redis`` or ``job_id`` (a task called
    directly, as in a unit test), it checks its arguments and records
    nothing.

    Args:
        ctx: The job's ctx.
        done: Units of work done, at least 0.
        total: Units of work in all, if known; `JobProgress.fraction` is
            ``done / total``.
        message: What the job is doing; cut to `PROGRESS_MESSAGE_LIMIT`
            characters.

    Raises:
        TypeError: ``done`` or ``total`` is not a number, or ``message``
            not a string.
        ValueError: ``done`` or ``total`` is negative or not finite.
    """
    record = encode_progress(done, total, message, timestamp_ms())
    redis, job_id = ctx.get("redis"), ctx.get("job_id")
    if redis is None or not isinstance(job_id, str):
        return
    if isinstance(redis, ProgressRecorder):
        redis._record_progress(job_id, record)  # noqa: SLF001 - the mock's hook
        return
    await _record_on_redis(redis, job_id, record)
