"""Listing workers: each executor shows itself while it runs, and only then.

The mock lists its ``run_jobs`` calls; on Redis a queue-core worker keeps
a record of itself and arq's worker shows through its health-check record.
"""

from __future__ import annotations

import os

import pytest

from queue_core import WorkerInfo
from tests import workers
from tests.conformance.conftest import EXECUTORS, Backend, Gate, until

pytestmark = pytest.mark.parametrize("backend", EXECUTORS, indirect=True)

RUN = workers.RUN_QUEUE
SETTINGS = "tests.progress_workers.ProgressSettings"


def _busy(listed: list[WorkerInfo]) -> bool:
    return len(listed) == 1 and (listed[0].running, listed[0].complete) == (1, 1)


async def test_a_running_worker_is_listed_with_its_counts_until_it_stops(
    backend: Backend, gate: Gate, request: pytest.FixtureRequest
) -> None:
    executor = request.node.callspec.params["backend"]
    await backend.queue.enqueue("echo", 1, _queue_name=RUN)
    await backend.queue.enqueue(
        "report_then_wait", gate.path, 1, 2, "half", _queue_name=RUN
    )

    async with backend.running(SETTINGS):
        (worker,) = await until(lambda: backend.queue.list_workers(RUN), _busy)
        gate.open()

    assert (worker.kind, worker.queue_name, worker.failed) == (executor, RUN, 0)
    assert worker.last_beat_at is not None
    if executor == "arq":
        assert worker.id == f"{RUN}:health-check"
        assert (worker.host, worker.pid, worker.started_at) == (None, None, None)
    else:
        assert worker.host is not None
        assert isinstance(worker.pid, int)
        assert worker.started_at is not None
        assert worker.started_at <= worker.last_beat_at
        assert (worker.pid == os.getpid()) == (executor == "mock")
    assert await backend.queue.list_workers(RUN) == []


async def test_a_queue_without_workers_lists_none(backend: Backend) -> None:
    assert await backend.queue.list_workers() == []
    assert await backend.queue.list_workers(RUN) == []
