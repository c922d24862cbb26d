"""JSON and msgpack instead of pickle: the same on client, mock and worker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from arq.connections import RedisSettings

from queue_core import (
    ArqMode,
    JobSerializationError,
    RedisArqQueue,
    RemoteJobError,
    WorkerSettings,
    json_deserializer,
    json_serializer,
    msgpack_deserializer,
    msgpack_serializer,
    open_arq_queue,
)
from queue_core._failures import record_traceback
from tests.conftest import WorkerProcess

SERIALIZERS: dict[str, tuple[Callable[..., bytes], Callable[[bytes], Any]]] = {
    "json": (json_serializer, json_deserializer),
    "msgpack": (msgpack_serializer, msgpack_deserializer),
}
WORK = "serializers:work"


@pytest.mark.parametrize("name", SERIALIZERS)
def test_payloads_round_trip_with_exceptions_kept_as_remote_errors(name: str) -> None:
    dumps, loads = SERIALIZERS[name]
    payload = {"a": (1, "two"), "k": {"x": [3.5, None]}, "r": ValueError("bad")}

    decoded = loads(dumps(payload))

    assert decoded["a"] == [1, "two"]
    assert decoded["k"] == {"x": [3.5, None]}
    assert isinstance(decoded["r"], RemoteJobError)
    assert decoded["r"].type_name == "builtins.ValueError"
    assert decoded["r"].message == "bad"
    assert isinstance(
        loads(dumps({"r": asyncio.CancelledError()}))["r"], asyncio.CancelledError
    )


@pytest.mark.parametrize("name", SERIALIZERS)
async def test_the_mock_refuses_what_the_serializer_cannot_carry(name: str) -> None:
    dumps, loads = SERIALIZERS[name]
    queue = await open_arq_queue(
        ArqMode.test,
        worker_settings=WorkerSettings(
            functions=[], job_serializer=dumps, job_deserializer=loads
        ),
    )

    with pytest.raises(JobSerializationError, match=r"builtins\.set"):
        await queue.enqueue("echo", {1, 2})


@pytest.mark.parametrize("name", SERIALIZERS)
async def test_a_worker_configured_alike_runs_jobs_and_reports_failures_and_aborts(
    name: str,
    redis_settings: RedisSettings,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    dumps, loads = SERIALIZERS[name]
    arq_worker(WORK, serializer=name)
    queue = await RedisArqQueue.initialize(
        redis_settings, job_serializer=dumps, job_deserializer=loads
    )
    async with queue:
        done = await queue.enqueue("echo", {"a": [1, 2]}, _queue_name=WORK)
        failed = await queue.enqueue("fail", "boom", _queue_name=WORK)
        running = await queue.enqueue("sleep", 30, _queue_name=WORK)

        ok = await queue.wait_for_result(done.id, WORK, timeout=20)
        bad = await queue.wait_for_result(failed.id, WORK, timeout=20)
        async with asyncio.timeout(20):
            while (
                await queue.get_job_metadata(running.id, WORK)
            ).status != "in_progress":
                await asyncio.sleep(0.02)
        aborted = await queue.abort_job(running.id, WORK, timeout=20)

    assert ok.result == {"a": [1, 2]}
    assert bad.success is False
    assert isinstance(bad.result, RemoteJobError)
    assert bad.result.type_name == "tests.workers.TaskFailedError"
    assert aborted is True


@pytest.mark.parametrize("name", SERIALIZERS)
def test_a_recorded_traceback_travels_with_the_exception(name: str) -> None:
    dumps, loads = SERIALIZERS[name]
    error = ValueError("bad")
    record_traceback(error)

    decoded = loads(dumps({"r": error, "plain": ValueError("no traceback")}))

    assert decoded["r"].traceback == "ValueError: bad"
    assert decoded["plain"].traceback is None
    lookalike = {"__queue_core_exception__": "x", "message": "m", "extra": 1}
    assert loads(dumps({"d": lookalike}))["d"] == lookalike


@pytest.mark.parametrize("name", SERIALIZERS)
async def test_a_queue_core_workers_traceback_is_read_back_without_pickle(
    name: str,
    redis_settings: RedisSettings,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    dumps, loads = SERIALIZERS[name]
    arq_worker(WORK, serializer=name, program="queue-core")
    queue = await RedisArqQueue.initialize(
        redis_settings, job_serializer=dumps, job_deserializer=loads
    )
    async with queue:
        failed = await queue.enqueue("fail", "boom", _queue_name=WORK)
        result = await queue.wait_for_result(failed.id, WORK, timeout=20)

    assert isinstance(result.result, RemoteJobError)
    assert result.traceback is not None
    assert "raise TaskFailedError(message)" in result.traceback
    assert result.traceback.endswith("tests.workers.TaskFailedError: boom")
