"""What we rely on in redis-py, checked on whichever version (5.3 to 8) is installed.

CI runs this file with the oldest redis-py 6 and the newest 8 as well (see
.ci/run); a redis-py that changes its private connection API, its defaults or
what it retries fails here first.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from importlib import metadata
from typing import Any

import pytest
from arq.connections import ArqRedis, RedisSettings
from redis.asyncio import Redis
from redis.asyncio.connection import (
    AbstractConnection,
    BlockingConnectionPool,
    Connection,
    ConnectionPool,
)
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from queue_core import EmbeddedRedis, JobNotFound, JobSpec, RedisArqQueue
from queue_core._pool import _new_pool
from queue_core._redispy import REDIS_PY
from queue_core._wire import CommandSender, pack_command


def test_the_installed_redis_py_is_one_this_library_was_made_for() -> None:
    installed = tuple(int(part) for part in metadata.version("redis").split(".")[:2])

    assert installed == REDIS_PY
    assert (5, 3) <= REDIS_PY < (9, 0)


@pytest.mark.parametrize(
    ("owner", "name", "arguments"),
    [
        (ConnectionPool, "get_available_connection", ()),
        (ConnectionPool, "ensure_connection", ("connection",)),
        (ConnectionPool, "release", ("connection",)),
        (BlockingConnectionPool, "get_connection", ()),
        (AbstractConnection, "send_packed_command", ("command",)),
        (AbstractConnection, "read_response", ()),
        (AbstractConnection, "disconnect", ()),
        (Retry, "call_with_retry", ("do", "fail")),
    ],
)
def test_each_private_method_wire_calls_takes_the_arguments_it_passes(
    owner: type, name: str, arguments: tuple[str, ...]
) -> None:
    method = getattr(owner, name)

    inspect.signature(method).bind("self", *arguments)
    asynchronous = inspect.iscoroutinefunction(inspect.unwrap(method))
    assert asynchronous is (name != "get_available_connection")


def test_a_connection_carries_the_retry_and_the_errors_wire_reads() -> None:
    connection = Connection(
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        retry_on_error=[RedisTimeoutError],
    )

    assert isinstance(connection.retry, Retry)
    assert connection.retry_on_error == [RedisTimeoutError]
    assert set(connection.retry._supported_errors) == {
        RedisConnectionError,
        RedisTimeoutError,
    }


async def test_a_retry_hands_its_fail_callback_the_error_alone() -> None:
    errors = iter([RedisConnectionError("dropped"), None])
    failed: list[tuple[object, ...]] = []

    async def attempt() -> str:
        error = next(errors)
        if error is not None:
            raise error
        return "answer"

    async def fail(*arguments: object) -> None:
        failed.append(arguments)

    retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))

    assert await retry.call_with_retry(attempt, fail) == "answer"
    assert [[type(argument) for argument in call] for call in failed] == [
        [RedisConnectionError]
    ]


@pytest.fixture
def time_out_once(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Arm it, and the next PING sent on any connection times out."""
    armed: list[bool] = []
    original = AbstractConnection.send_packed_command

    async def sending(
        self: AbstractConnection, command: Any, *args: Any, **kwargs: Any
    ) -> None:
        packed = command if isinstance(command, bytes) else b"".join(command)
        if armed and b"PING" in packed:
            armed.clear()
            raise RedisTimeoutError
        await original(self, command, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", sending)
    return lambda: armed.append(True)


async def _outcome(arm: Callable[[], None], call: Callable[[], Any]) -> str:
    arm()
    try:
        await call()
    except RedisTimeoutError:
        return "raised"
    return "retried"


async def test_a_packed_call_retries_what_redis_pys_own_commands_retry(
    redis_settings: RedisSettings, time_out_once: Callable[[], None]
) -> None:
    """5.3 retries only what ``retry_on_error`` lists; 6+ what the Retry lists."""
    assert isinstance(redis_settings.host, str)
    client = Redis(
        host=redis_settings.host,
        port=redis_settings.port,
        retry=Retry(NoBackoff(), 1),  # ConnectionError and TimeoutError
        retry_on_error=[RedisConnectionError],
        protocol=2,
    )
    try:
        await client.ping()
        packed = CommandSender(client.connection_pool)
        theirs = await _outcome(time_out_once, client.ping)
        ours = await _outcome(time_out_once, lambda: packed.send(pack_command(b"PING")))
    finally:
        await client.aclose()

    assert ours == theirs == ("raised" if REDIS_PY < (6, 0) else "retried")


async def test_our_pools_retry_the_errors_their_retry_lists_on_every_redis_py(
    redis_settings: RedisSettings, time_out_once: Callable[[], None]
) -> None:
    settings = replace(redis_settings, retry=Retry(NoBackoff(), 1))
    queue = await RedisArqQueue.initialize(settings)
    try:
        theirs = await _outcome(time_out_once, queue.ping)
        ours = await _outcome(
            time_out_once,
            lambda: CommandSender(queue.pool.connection_pool).send(
                pack_command(b"PING")
            ),
        )
    finally:
        await queue.aclose()

    assert ours == theirs == "retried"


@pytest.fixture
def every_warning() -> Iterator[list[warnings.WarningMessage]]:
    """Warnings shown however the suite filters them (arq's included)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


async def test_our_clients_warn_nothing_on_this_redis_py(
    redis_settings: RedisSettings, every_warning: list[warnings.WarningMessage]
) -> None:
    settings = replace(redis_settings, retry_on_timeout=True)
    queue = await RedisArqQueue.initialize(settings)
    try:
        await queue.enqueue("echo", 1)
        await queue.count_jobs()
        counts = queue._queue_counts([queue.default_queue_name])
    finally:
        await queue.aclose()
    with EmbeddedRedis():
        pass

    assert counts == {queue.default_queue_name: (1, 0)}
    assert [str(caught.message) for caught in every_warning] == []


async def test_our_pools_speak_resp2_with_no_socket_timeout_on_every_redis_py(
    redis_queue: RedisArqQueue,
) -> None:
    """redis-py 8 defaults to RESP3 and a 5 s socket timeout; 5.3 to 7 do not."""
    info = await redis_queue.pool.client_info()
    connection = redis_queue.pool.connection_pool.make_connection()  # type: ignore[no-untyped-call]

    # Redis 6 does not report it (its connections speak RESP2 until HELLO 3).
    assert str(info.get("resp", "2")) == "2"
    assert str(connection.protocol) == "2"
    assert connection.socket_timeout is None


def test_a_sentinel_queue_asks_each_sentinel_once_on_every_redis_py() -> None:
    """redis-py 6 and 7 give a sentinel's client 3 retries; 5.3 and 8 none."""
    settings = RedisSettings(
        host=[("127.0.0.1", 1)], sentinel=True, sentinel_master="mymaster"
    )
    connections: Any = _new_pool(settings, 1.0).connection_pool
    sentinel = connections.sentinel_manager.sentinels[0]
    connection = sentinel.connection_pool.make_connection()

    assert connection.retry._retries == 0
    assert str(sentinel.connection_pool.connection_kwargs["protocol"]) == "2"


async def test_a_queue_on_a_resp3_pool_as_arq_makes_on_redis_py_8_reads_its_jobs(
    redis_settings: RedisSettings,
) -> None:
    assert isinstance(redis_settings.host, str)
    pool = ArqRedis(host=redis_settings.host, port=redis_settings.port, protocol=3)
    queue = RedisArqQueue(pool)
    try:
        job = await queue.enqueue("echo", 1)
        batch = await queue.enqueue_many([JobSpec("echo", (2,))])
        read = await queue.get_job_metadata(job.id)
        listed = await queue.list_jobs()
        counts = await queue.count_jobs()
        gauges = queue._queue_counts([queue.default_queue_name])
        asked = await queue.request_abort(job.id)
        with pytest.raises(JobNotFound):
            await queue.get_job_metadata("no-such-job")
    finally:
        await queue.aclose()

    assert str(pool.connection_pool.connection_kwargs["protocol"]) == "3"
    assert read.args == (1,)
    assert sorted(job.args for job in listed) == [(1,), (2,)]
    assert len(batch) == 1
    assert (counts.depth, gauges) == (2, {queue.default_queue_name: (2, 0)})
    assert asked
