"""Embedded mode: a private redis-server (and worker) that leaves nothing behind."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from typing_extensions import override

from queue_core import (
    ArqMode,
    EmbeddedArqQueue,
    EmbeddedRedis,
    JobSerializationError,
    JobStatus,
    MockArqQueue,
    RedisArqQueue,
    WorkerSettings,
    find_redis_server,
    open_arq_queue,
)
from tests import workers


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers; it has no command line left to read.
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "State:\tZ" not in status.read_text()


class RecordingRedis(EmbeddedRedis):
    """An embedded server that remembers its pid and directory."""

    started_pid: int | None = None
    started_dir: Path | None = None

    @override
    def start(self) -> None:
        super().start()
        self.started_pid = self.pid
        self.started_dir = self.directory


def _worker_settings(**overrides: Any) -> WorkerSettings:
    return WorkerSettings(functions=workers.FUNCTIONS, poll_delay=0.02, **overrides)


async def test_embedded_mode_runs_jobs_end_to_end_and_leaves_nothing_behind() -> None:
    server = RecordingRedis()
    queue = await EmbeddedArqQueue.start(
        worker_settings=_worker_settings(), server=server
    )
    async with queue:
        job = await queue.enqueue("add", 19, 23)
        result = await queue.wait_for_result(job.id, timeout=20, poll_interval=0.02)
        assert result.result == 42
        assert queue.worker is not None
        assert server.started_pid is not None
        assert _process_exists(server.started_pid)

    assert server.started_pid is not None
    assert server.started_dir is not None
    assert not _process_exists(server.started_pid)
    assert not server.started_dir.exists()


async def test_a_startup_that_fails_halfway_stops_the_server_it_started() -> None:
    server = RecordingRedis()

    with pytest.raises(RuntimeError, match="at least one function"):
        await EmbeddedArqQueue.start(
            worker_settings=WorkerSettings(functions=[]), server=server
        )

    assert server.started_pid is not None
    assert server.started_dir is not None
    assert not _process_exists(server.started_pid)
    assert not server.started_dir.exists()


async def test_closing_lets_a_running_job_finish_within_the_grace_period() -> None:
    queue = await EmbeddedArqQueue.start(
        worker_settings=_worker_settings(job_completion_wait=10)
    )
    async with queue:
        job = await queue.enqueue("sleep", 0.3)
        async with asyncio.timeout(20):
            while (
                await queue.get_job_metadata(job.id)
            ).status is not JobStatus.in_progress:
                await asyncio.sleep(0.01)
        worker = queue.worker
    assert worker is not None
    assert worker.jobs_complete == 1


async def test_closing_stops_a_worker_that_missed_its_first_cancel() -> None:
    """As one may on Python 3.11, whose wait_for can swallow a cancel."""
    started = asyncio.Event()
    missed: list[str] = []

    async def startup(ctx: dict[str, Any]) -> None:
        del ctx
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            missed.append("cancel")  # and the worker goes on to poll

    queue = await EmbeddedArqQueue.start(
        worker_settings=_worker_settings(on_startup=startup)
    )
    await asyncio.wait_for(started.wait(), 20)
    async with asyncio.timeout(20):
        await queue.aclose()

    assert missed == ["cancel"]
    assert queue.worker is not None
    assert queue.worker.main_task is not None
    assert queue.worker.main_task.cancelled()


def test_an_embedded_server_can_also_listen_on_a_loopback_port() -> None:
    with EmbeddedRedis(tcp=True) as server:
        assert server.port is not None
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        settings = server.redis_settings
        assert (settings.host, settings.port) == ("127.0.0.1", server.port)
        directory = server.directory
    assert not directory.exists()


def test_an_append_only_server_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    from redis import Redis  # noqa: PLC0415

    with EmbeddedRedis(directory=tmp_path, appendonly=True) as server:
        client = Redis(unix_socket_path=server.unix_socket_path)
        client.set("kept", "yes")
        client.close()
    with EmbeddedRedis(directory=tmp_path, appendonly=True) as server:
        client = Redis(unix_socket_path=server.unix_socket_path)
        assert client.get("kept") == b"yes"
        client.close()
    assert tmp_path.exists()


def test_a_missing_configured_binary_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QUEUE_CORE_REDIS_SERVER", "/nonexistent/redis-server")

    with pytest.raises(FileNotFoundError, match="/nonexistent/redis-server"):
        find_redis_server()


async def test_open_arq_queue_maps_each_mode_to_its_queue(redis_settings: Any) -> None:
    mock = await open_arq_queue("test")
    production = await open_arq_queue(ArqMode.production, redis_settings=redis_settings)
    embedded = await open_arq_queue(ArqMode.embedded)
    try:
        assert isinstance(mock, MockArqQueue)
        assert type(production) is RedisArqQueue
        assert isinstance(embedded, EmbeddedArqQueue)
        assert await embedded.ping()
    finally:
        for queue in (mock, production, embedded):
            await queue.aclose()


@pytest.mark.parametrize("mode", [ArqMode.test, ArqMode.embedded])
async def test_open_arq_queue_gives_a_working_queue_awaited_or_entered(
    mode: ArqMode,
) -> None:
    async with open_arq_queue(mode) as entered:
        job = await entered.enqueue("echo", "entered")
        found = await entered.get_job_metadata(job.id)
    awaited = await open_arq_queue(mode)
    try:
        awaited_job = await awaited.enqueue("echo", "awaited")
        awaited_found = await awaited.get_job_metadata(awaited_job.id)
    finally:
        await awaited.aclose()
    async with await open_arq_queue(mode) as opened_then_entered:
        assert await opened_then_entered.ping()

    assert (found.args, found.status) == (("entered",), JobStatus.queued)
    assert (awaited_found.args, awaited_found.status) == (
        ("awaited",),
        JobStatus.queued,
    )


async def test_leaving_async_with_open_arq_queue_stops_its_server() -> None:
    async with open_arq_queue(ArqMode.embedded) as queue:
        assert isinstance(queue, EmbeddedArqQueue)
        pid = queue.server.pid
        assert pid is not None
        assert _process_exists(pid)

    assert not _process_exists(pid)


async def test_open_arq_queue_closes_the_queue_when_its_block_raises() -> None:
    pids: list[int | None] = []

    async def fail_in_the_block() -> None:
        async with open_arq_queue(ArqMode.embedded) as queue:
            assert isinstance(queue, EmbeddedArqQueue)
            pids.append(queue.server.pid)
            raise LookupError

    with pytest.raises(LookupError):
        await fail_in_the_block()

    [pid] = pids
    assert pid is not None
    assert not _process_exists(pid)


async def test_open_arq_queue_opens_once_and_refuses_a_second_await_or_entry() -> None:
    once = "already awaited or entered: it opens one queue, once"
    awaited = open_arq_queue(ArqMode.test)
    queue = await awaited
    with pytest.raises(RuntimeError, match=once):
        await awaited
    with pytest.raises(RuntimeError, match=once):
        async with awaited:
            pass
    entered = open_arq_queue(ArqMode.test)
    async with entered:
        with pytest.raises(RuntimeError, match=once):
            async with entered:
                pass
    with pytest.raises(RuntimeError, match=once):
        await entered

    assert isinstance(queue, MockArqQueue)


async def test_production_mode_without_redis_settings_is_refused_as_in_safir() -> None:
    with pytest.raises(
        RuntimeError,
        match=r"^The redis_settings argument must be set for arq in production\.$",
    ):
        await open_arq_queue(ArqMode.production)


async def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="'staging' is not a valid ArqMode"):
        await open_arq_queue("staging")


async def test_the_mock_takes_its_serializer_from_the_worker_settings() -> None:
    import msgpack  # noqa: PLC0415

    settings = _worker_settings(
        job_serializer=msgpack.packb,
        job_deserializer=lambda b: msgpack.unpackb(b, raw=False),
    )
    queue = await open_arq_queue(ArqMode.test, worker_settings=settings)

    with pytest.raises(JobSerializationError, match="cannot be serialized"):
        await queue.enqueue("echo", {1, 2})
    assert (await queue.enqueue("echo", (1, 2))).args == ((1, 2),)
