"""A failed job's traceback, recorded with its exception by queue-core's worker.

arq keeps the exception a job raised, pickled without its traceback. The
runner (queue-core's worker, and the mock's ``run_jobs``) formats the
traceback first and keeps it on the exception, under `TRACEBACK_ATTRIBUTE`,
which pickle stores with it and the JSON and msgpack serializers carry:
`JobResult.traceback` reads it back.
"""

from __future__ import annotations

import contextlib
import traceback
from typing import Final

from ._models import TRACEBACK_ATTRIBUTE

__all__ = ["TRACEBACK_LIMIT", "record_traceback"]

TRACEBACK_LIMIT: Final = 8000
"""Longest traceback kept with a result, in characters: its end, where the
failing line and the exception are."""


def record_traceback(exc: BaseException) -> None:
    """Keep the exception's formatted traceback on it, cut to `TRACEBACK_LIMIT`."""
    try:
        text = "".join(traceback.format_exception(exc)).rstrip()
    except Exception:  # noqa: BLE001 - a broken __str__ must not fail the job's end
        return
    if len(text) > TRACEBACK_LIMIT:
        text = "…" + text[-(TRACEBACK_LIMIT - 1) :]
    with contextlib.suppress(AttributeError, TypeError):
        setattr(exc, TRACEBACK_ATTRIBUTE, text)
