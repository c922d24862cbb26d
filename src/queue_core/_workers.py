"""Workers' records, as queue-core's workers write them and arq's health checks.

A queue-core worker keeps ``<queue>:queue-core:worker:<id>`` (see
`_signals`): a JSON record of itself, rewritten at most every
`BEAT_INTERVAL_S` from its loop, expiring `worker_ttl_ms` after the last
write. arq's workers write only ``<queue>:health-check``, in arq's format;
a queue-core worker writes that record too, in the same format (for ``arq
--check`` and operators' parsers), and beside it a copy (see `_signals`):
a health-check record equal to its copy is a queue-core worker's, and a
listing shows that worker once, from its own record.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from arq.utils import ms_to_datetime

from ._models import WorkerInfo

__all__ = [
    "BEAT_INTERVAL_S",
    "WORKER_TTL_MIN_S",
    "health_worker",
    "new_worker_id",
    "read_worker",
    "sorted_workers",
    "worker_record",
    "worker_ttl_ms",
]

BEAT_INTERVAL_S: Final = 1.0
"""Shortest time between two writes of a worker's record."""

WORKER_TTL_MIN_S: Final = 15.0
"""Shortest life of a worker's record after its last write: a worker that
died drops out of listings this long (or three ``poll_delay``) after."""

_HEALTH: Final = re.compile(
    r"(?P<when>\S+ \S+) j_complete=(?P<complete>\d+) j_failed=(?P<failed>\d+) "
    r"j_retried=(?P<retried>\d+) j_ongoing=(?P<ongoing>\d+) queued=\d+"
)
"""arq's health-check record (``Worker.record_health``)."""


def new_worker_id() -> str:
    """A worker id that says where it runs: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def worker_ttl_ms(poll_delay_s: float) -> int:
    """How long a worker's record lives after each beat.

    A worker polling this slowly beats that often, and must not drop out
    between two beats.
    """
    return int(max(WORKER_TTL_MIN_S, 3 * poll_delay_s) * 1000)


def worker_record(
    worker_id: str,
    *,
    started_ms: int,
    beat_ms: int,
    running: int,
    complete: int,
    failed: int,
    retried: int,
) -> bytes:
    """This process's worker's record, as it keeps it in Redis."""
    record = {
        "id": worker_id,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "started": started_ms,
        "beat": beat_ms,
        "running": running,
        "complete": complete,
        "failed": failed,
        "retried": retried,
    }
    return json.dumps(record, separators=(",", ":")).encode()


def read_worker(queue_name: str, record: bytes | str) -> WorkerInfo | None:
    """A queue-core worker's record; `None` if it cannot be read."""
    try:
        data: dict[str, Any] = json.loads(record)
        return WorkerInfo(
            id=str(data["id"]),
            queue_name=queue_name,
            kind="queue-core",
            host=str(data["host"]),
            pid=int(data["pid"]),
            started_at=ms_to_datetime(int(data["started"])),
            last_beat_at=ms_to_datetime(int(data["beat"])),
            running=int(data["running"]),
            complete=int(data["complete"]),
            failed=int(data["failed"]),
            retried=int(data["retried"]),
        )
    except (ValueError, TypeError, KeyError, OverflowError):
        return None


def _health_time(text: str, now: datetime) -> datetime | None:
    """The time of arq's record (``%b-%d %H:%M:%S``, local) within a year."""
    for year in (now.year, now.year - 1):
        try:
            moment = datetime.strptime(f"{year} {text}", "%Y %b-%d %H:%M:%S")  # noqa: DTZ007 - arq's local time
        except ValueError:
            continue
        local = moment.astimezone()
        if local <= now + timedelta(days=1):
            return local
    return None


def health_worker(
    queue_name: str,
    key: str,
    record: bytes | str | None,
    queue_core_copy: bytes | str | None = None,
) -> WorkerInfo | None:
    """What an arq health-check record says of the worker that wrote it.

    `None` for no record, a record that is not arq's, or one a queue-core
    worker wrote (equal to ``queue_core_copy``: that worker is listed from
    its own record). arq's workers of a queue share the one record, so this
    is the last one to write it.
    """
    if record is None:
        return None
    text = record.decode(errors="replace") if isinstance(record, bytes) else record
    copy = (
        queue_core_copy.decode(errors="replace")
        if isinstance(queue_core_copy, bytes)
        else queue_core_copy
    )
    found = _HEALTH.fullmatch(text.strip())
    if found is None or text == copy:
        return None
    return WorkerInfo(
        id=key,
        queue_name=queue_name,
        kind="arq",
        host=None,
        pid=None,
        started_at=None,
        last_beat_at=_health_time(found["when"], datetime.now().astimezone()),
        running=int(found["ongoing"]),
        complete=int(found["complete"]),
        failed=int(found["failed"]),
        retried=int(found["retried"]),
    )


_LONG_AGO: Final = datetime.min.replace(tzinfo=UTC)


def sorted_workers(found: Iterable[WorkerInfo | None]) -> list[WorkerInfo]:
    """The workers found, oldest first (arq's, whose start is unknown, last)."""
    return sorted(
        (worker for worker in found if worker is not None),
        key=lambda worker: (
            worker.started_at is None,
            worker.started_at or _LONG_AGO,
            worker.id,
        ),
    )
