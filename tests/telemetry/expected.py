"""What a job's spans look like, asserted alike for every backend."""

from __future__ import annotations

from typing import Any

from tests.telemetry.spans import Span


def producer_attributes(queue_name: str, job_id: str) -> dict[str, Any]:
    """The PRODUCER span's attributes for one enqueued job."""
    return {
        "messaging.system": "arq",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.name": queue_name,
        "messaging.message.id": job_id,
    }


def consumer_attributes(
    queue_name: str, job_id: str, function: str, job_try: int, outcome: str
) -> dict[str, Any]:
    """The CONSUMER span's attributes for one run of a job."""
    return {
        "messaging.system": "arq",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": queue_name,
        "messaging.message.id": job_id,
        "arq.job.function": function,
        "arq.job.try": job_try,
        "arq.job.outcome": outcome,
    }


def assert_child(consumer: Span, producer: Span) -> None:
    """The consumer ran in the producer's trace, as its child."""
    assert consumer["trace_id"] == producer["trace_id"]
    assert consumer["parent_id"] == producer["span_id"]


def one(spans: list[Span], name: str, kind: str) -> Span:
    """The single span with this name and kind."""
    found = [s for s in spans if s["name"] == name and s["kind"] == kind]
    assert len(found) == 1, [(s["name"], s["kind"]) for s in spans]
    return found[0]


def without_error_type(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k != "error.type"}
