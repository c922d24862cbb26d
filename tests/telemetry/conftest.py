"""Fixtures for the telemetry tests: the SDK, and traced worker processes."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import (
    InMemorySpanExporter,
)

from tests.conftest import WorkerProcess
from tests.telemetry.sdk import installed_sdk
from tests.telemetry.spans import SPANS_ENV


@pytest.fixture
def span_exporter() -> InMemorySpanExporter:
    """This process's finished spans, none yet."""
    exporter, _ = installed_sdk()
    exporter.clear()
    return exporter


@pytest.fixture
def metric_reader() -> InMemoryMetricReader:
    """This process's metrics (cumulative: tests use their own queue names)."""
    return installed_sdk()[1]


@dataclass
class TracedWorker:
    """A real arq worker process and the file its spans go to."""

    process: WorkerProcess
    spans_path: Path


@pytest.fixture
def traced_worker(
    arq_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> Callable[..., TracedWorker]:
    """Start worker processes (arq's, or queue-core's with ``program``) that
    export spans to a file."""
    numbers = itertools.count()

    def start(
        queue_name: str,
        *,
        settings_path: str = "tests.telemetry.worker.WorkerSettings",
        env: dict[str, str] | None = None,
        program: str = "arq",
    ) -> TracedWorker:
        spans_path = tmp_path / f"spans-{next(numbers)}.jsonl"
        process = arq_worker(
            queue_name,
            settings_path=settings_path,
            env={SPANS_ENV: str(spans_path), **(env or {})},
            program=program,
        )
        return TracedWorker(process, spans_path)

    return start
