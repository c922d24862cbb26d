"""Finished spans as plain dicts, from the in-memory exporter or a worker's file.

Worker processes export their spans as JSON lines (``JsonLinesSpanExporter``)
to the file named by ``$QUEUE_CORE_TEST_SPANS``; tests read them back with
`wait_for_spans` and compare them with the spans of their own process.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from typing_extensions import override

SPANS_ENV = "QUEUE_CORE_TEST_SPANS"
"""Where a test's worker process writes the spans it exports."""

Span = dict[str, Any]


def span_record(span: ReadableSpan) -> Span:
    """What a test looks at in a span, JSON-ready."""
    context = span.get_span_context()
    assert context is not None
    return {
        "name": span.name,
        "kind": span.kind.name,
        "trace_id": f"{context.trace_id:032x}",
        "span_id": f"{context.span_id:016x}",
        "parent_id": None if span.parent is None else f"{span.parent.span_id:016x}",
        "attributes": dict(span.attributes or {}),
        "status": span.status.status_code.name,
        "description": span.status.description,
        "events": [
            {"name": event.name, "attributes": dict(event.attributes or {})}
            for event in span.events
        ],
        "start": span.start_time,
        "end": span.end_time,
        "service": span.resource.attributes.get("service.name"),
    }


class JsonLinesSpanExporter(SpanExporter):
    """Appends each finished span to a file, one JSON object a line."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @override
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._path.open("a", encoding="utf-8") as file:
            for span in spans:
                file.write(json.dumps(span_record(span), default=list) + "\n")
        return SpanExportResult.SUCCESS

    @override
    def shutdown(self) -> None:
        """Nothing held open between exports."""


def export_spans_to_file(service: str) -> None:
    """Make this process export its spans to ``$QUEUE_CORE_TEST_SPANS``, if set.

    (Unset when a test imports a worker module for its constants.)
    """
    if SPANS_ENV not in os.environ:
        return
    provider = TracerProvider(resource=Resource({"service.name": service}))
    provider.add_span_processor(
        SimpleSpanProcessor(JsonLinesSpanExporter(Path(os.environ[SPANS_ENV])))
    )
    trace.set_tracer_provider(provider)


def write_spans(path: Path, spans: list[Span]) -> None:
    """Save spans as JSON lines, as the worker's exporter does."""
    path.write_text("".join(json.dumps(span) + "\n" for span in spans))


def read_spans(path: Path) -> list[Span]:
    """The spans exported to a file so far."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


async def wait_for_spans(
    path: Path, matches: Callable[[Span], bool], count: int = 1, timeout: float = 20
) -> list[Span]:
    """Wait until a worker has exported ``count`` spans that match."""
    async with asyncio.timeout(timeout):
        while True:
            found = [span for span in read_spans(path) if matches(span)]
            if len(found) >= count:
                return found
            await asyncio.sleep(0.05)


def job_spans(job_id: str) -> Callable[[Span], bool]:
    """Matches the spans of one job (by ``messaging.message.id``)."""
    return lambda span: span["attributes"].get("messaging.message.id") == job_id
