"""The test process's OpenTelemetry SDK: in-memory span exporter and metric reader.

OpenTelemetry's global providers can be set once a process, so every test
shares them: spans are cleared before each test, and metric tests read the
points of their own queue names.
"""

from __future__ import annotations

import functools
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from tests.telemetry.spans import Span, span_record


@functools.cache
def installed_sdk() -> tuple[InMemorySpanExporter, InMemoryMetricReader]:
    """Install the SDK globally, once; its exporter and reader."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource({"service.name": "web-app"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return exporter, reader


def finished_spans(exporter: InMemorySpanExporter) -> list[Span]:
    """The spans this process finished since the exporter was cleared."""
    return [span_record(span) for span in exporter.get_finished_spans()]


def metric_points(
    reader: InMemoryMetricReader, name: str, **attributes: Any
) -> list[tuple[dict[str, Any], Any]]:
    """One collection's points of a metric whose attributes include these.

    A counter's or gauge's point is its value, a histogram's its count.
    """
    attributes = {key.replace("_", "."): value for key, value in attributes.items()}
    data = reader.get_metrics_data()
    points: list[tuple[dict[str, Any], Any]] = []
    if data is None:
        return points
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name != name:
                    continue
                for point in metric.data.data_points:
                    seen = dict(point.attributes or {})
                    if any(seen.get(k) != v for k, v in attributes.items()):
                        continue
                    if isinstance(point, HistogramDataPoint):
                        points.append((seen, point.count))
                    elif isinstance(point, NumberDataPoint):
                        points.append((seen, point.value))
    return points
