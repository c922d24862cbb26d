"""How the commands print jobs, tables and JSON."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

import click

from queue_core._cli._app import (
    _options,
)
from queue_core._models import JobMetadata, JobProgress, JobResult
from queue_core._serializers import (
    RemoteJobError,
)

_CELL_WIDTH: Final = 40


def _type_name(exc: BaseException) -> str:
    if isinstance(exc, RemoteJobError):
        return exc.type_name
    kind = type(exc)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Characters a terminal would act on rather than show (all but tab and
newline): a failed job's text is the job's, not ours."""

_MESSAGE_LIMIT: Final = 1000
"""Longest error message shown, in characters."""

NO_TRACEBACK: Final = "no traceback recorded (arq's worker keeps none)"


def _printable(text: str) -> str:
    """Text with control characters escaped (ESC as a backslash, x1b)."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", text)


def _error_text(exc: BaseException) -> str:
    message = exc.message if isinstance(exc, RemoteJobError) else str(exc)
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    return f"{_type_name(exc)}: {message}" if message else _type_name(exc)


def _jsonable(value: Any) -> Any:
    """``value`` as JSON can carry it; what JSON cannot becomes its repr."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    return _scalar(value)


def _scalar(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bytes):
        value = value.decode(errors="backslashreplace")
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, BaseException):
        message = value.message if isinstance(value, RemoteJobError) else str(value)
        return {"type": _type_name(value), "message": message}
    if isinstance(value, JobProgress):
        return {
            "done": value.done,
            "total": value.total,
            "message": value.message,
            "fraction": value.fraction,
            "updated_at": value.updated_at.isoformat(),
        }
    return repr(value)


def _job_document(job: JobMetadata) -> dict[str, Any]:
    """A job's fields; a result's also its ``traceback`` (`None` unless recorded)."""
    document = {
        field.name: _jsonable(getattr(job, field.name))
        for field in dataclasses.fields(job)
    }
    if isinstance(job, JobResult):
        document["traceback"] = job.traceback
    return document


def _echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _show(value: Any) -> str:
    """A value for a table cell: JSON, on one line."""
    return json.dumps(_jsonable(value), ensure_ascii=False)


def _when(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="milliseconds")


def _clip(text: str) -> str:
    return text if len(text) <= _CELL_WIDTH else text[: _CELL_WIDTH - 1] + "…"


def _echo_table(
    header: Sequence[str], rows: Sequence[Sequence[str]], *, right: int = -1
) -> None:
    """Aligned columns; column ``right`` (counts) is right-aligned."""
    widths = [
        max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)
    ]
    for row in (header, *rows):
        cells = [
            cell.rjust(width) if index == right else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        click.echo("  ".join(cells).rstrip())


def _echo_fields(
    fields: Sequence[tuple[str, str]], *, multiline: frozenset[str] = frozenset()
) -> None:
    """Aligned ``name  value`` lines.

    A value named in ``multiline`` keeps its lines, indented under the first;
    any other is put on one line.
    """
    width = max(len(name) for name, _ in fields)
    for name, value in fields:
        if name in multiline:
            indent = "\n" + " " * (width + 2)
            click.echo(f"{name.ljust(width)}  {indent.join(value.splitlines())}")
        else:
            click.echo(f"{name.ljust(width)}  {' '.join(value.splitlines())}")


def _job_fields(job: JobMetadata) -> list[tuple[str, str]]:
    fields = [
        ("Job id", job.id),
        ("Task", job.name),
        ("Status", job.status.value),
        ("Queue", job.queue_name),
        ("Args", _show(job.args)),
        ("Kwargs", _show(job.kwargs)),
        ("Enqueued", _when(job.enqueue_time)),
    ]
    if job.progress is not None:
        progress = _printable(str(job.progress))
        fields.append(
            ("Progress", f"{progress} (reported {_when(job.progress.updated_at)})")
        )
    if isinstance(job, JobResult):
        fields += [
            ("Started", _when(job.start_time)),
            ("Finished", _when(job.finish_time)),
            ("Success", "yes" if job.success else "no"),
        ]
        if job.success:
            fields.append(("Result", _show(job.result)))
        else:
            fields += [
                ("Error", _printable(_error_text(job.result))),
                ("Traceback", _printable(job.traceback or NO_TRACEBACK)),
            ]
    return fields


def _print_job(job: JobMetadata) -> None:
    if _options().as_json:
        _echo_json(_job_document(job))
    else:
        _echo_fields(_job_fields(job), multiline=frozenset({"Traceback"}))
