"""Calls bounded by shared slot timers: a timeout is Redis', a cancel is yours."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError

from queue_core._deadlines import Deadlines, address_of


async def test_a_call_that_outlives_its_deadline_raises_redis_timeout_error() -> None:
    deadlines = Deadlines(0.1, "127.0.0.1:6379")

    with pytest.raises(RedisTimeoutError) as error:
        async with deadlines.bound():
            await asyncio.sleep(10)

    assert str(error.value) == "Timeout reading from 127.0.0.1:6379 after 0.1s"
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0
    await asyncio.sleep(0)  # the task goes on normally


async def test_a_call_that_finishes_in_time_is_left_alone() -> None:
    deadlines = Deadlines(0.2, "redis")

    async with deadlines.bound():
        await asyncio.sleep(0.01)
    slept = await asyncio.wait_for(asyncio.sleep(0.3, result="slept"), 1)

    assert slept == "slept"  # past the slot's timer, and not cancelled
    task = asyncio.current_task()
    assert task is not None
    assert task.cancelling() == 0


async def test_someone_elses_cancellation_stays_a_cancellation() -> None:
    deadlines = Deadlines(5, "redis")

    async def call() -> None:
        async with deadlines.bound():
            await asyncio.sleep(10)

    task = asyncio.create_task(call())
    await asyncio.sleep(0.01)
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task


async def test_many_concurrent_calls_share_a_few_timers() -> None:
    deadlines = Deadlines(0.1, "redis")

    async def call(seconds: float) -> str:
        try:
            async with deadlines.bound():
                await asyncio.sleep(seconds)
        except RedisTimeoutError:
            return "timed out"
        return "done"

    outcomes = await asyncio.gather(*(call(0.3 if n % 2 else 0) for n in range(200)))

    assert outcomes.count("timed out") == 100
    assert outcomes.count("done") == 100


def test_the_address_names_host_and_port_a_socket_or_a_sentinel_master() -> None:
    class Pool:
        def __init__(self, **options: object) -> None:
            self.connection_kwargs = options

    class SentinelPool:
        service_name = "mymaster"

    assert address_of(Pool(host="10.0.0.1", port=6380, password="x")) == "10.0.0.1:6380"
    assert address_of(Pool(path="/run/redis.sock")) == "/run/redis.sock"
    assert address_of(SentinelPool()) == "the Sentinel master 'mymaster'"
