"""What a job's spans look like, asserted alike for every backend."""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import Redis

from queue_core._embedded import AnyWorker
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


JOBS: tuple[tuple[str, tuple[Any, ...], list[tuple[int, str, str]]], ...] = (
    ("echo", ("hi",), [(1, "success", "UNSET")]),
    ("fail", ("on purpose",), [(1, "failure", "ERROR")]),
    ("retry_once", (0,), [(1, "retry", "UNSET"), (2, "success", "UNSET")]),
    ("sleep_briefly", (5,), [(1, "timeout", "ERROR")]),
)
"""Jobs for `tests.workers.RunSettings`, and each run's try, outcome, status."""


def assert_runs(spans: list[Span], queue_name: str, job_ids: list[str]) -> None:
    """Each job of `JOBS` was sent once and ran as expected, in its trace."""
    for job_id, (function, _, runs) in zip(job_ids, JOBS, strict=True):
        (producer,) = [
            s
            for s in spans
            if s["kind"] == "PRODUCER"
            and s["attributes"].get("messaging.message.id") == job_id
        ]
        assert producer["name"] == f"send {queue_name}"
        assert producer["attributes"] == producer_attributes(queue_name, job_id)
        consumers = sorted(
            (
                s
                for s in spans
                if s["kind"] == "CONSUMER"
                and s["attributes"].get("messaging.message.id") == job_id
            ),
            key=lambda s: s["attributes"]["arq.job.try"],
        )
        assert [
            (
                s["attributes"]["arq.job.try"],
                s["attributes"]["arq.job.outcome"],
                s["status"],
            )
            for s in consumers
        ] == runs
        for consumer, (job_try, outcome, _) in zip(consumers, runs, strict=True):
            assert consumer["name"] == f"process {queue_name}"
            assert without_error_type(consumer["attributes"]) == consumer_attributes(
                queue_name, job_id, function, job_try, outcome
            )
            assert_child(consumer, producer)


async def until_idle(worker: AnyWorker) -> None:
    """Wait until an in-process worker has finished every job it took.

    A result is readable before the worker's ``run_job`` returns (arq's or
    queue-core's); closing the worker
    in between cancels that last step.
    """
    async with asyncio.timeout(20):
        while any(not task.done() for task in worker.tasks.values()):
            await asyncio.sleep(0.01)


async def until_running(redis: Redis, job_id: str) -> None:
    """Wait until a worker's ``run_job`` has taken the job.

    arq's retry counter appears in the same transaction that reads the abort
    set: from then on an abort cancels the running job. (Before it, arq
    drops an aborted job without running it, so no span is made.)
    """
    async with asyncio.timeout(20):
        while not await redis.exists(f"arq:retry:{job_id}"):
            await asyncio.sleep(0.01)
