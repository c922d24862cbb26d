"""Sentinel on loopback: a master, a replica, three sentinels, one failover."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest
from redis.asyncio.sentinel import SentinelConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError

from queue_core import JobMetadata, JobSpec, RedisArqQueue
from tests.reliability.conftest import (
    MASTER,
    SECRET,
    SOCKET_TIMEOUT,
    SentinelCluster,
    crash,
    exception_chain,
    resource_warnings,
)

pytestmark = pytest.mark.redis

FAILOVER_GUARD = 30.0
"""Seconds after which a failover that has not happened fails the test."""


@pytest.mark.slow
async def test_jobs_survive_a_failover_and_the_same_queue_follows_the_new_master(
    sentinel_cluster: Callable[..., SentinelCluster],
    caplog: pytest.LogCaptureFixture,
) -> None:
    for logger in ("arq", "redis", "queue_core"):
        caplog.set_level(logging.DEBUG, logger=logger)
    cluster = sentinel_cluster(password=SECRET)
    old_master, replica = cluster.master, cluster.replicas[0]
    queue = await RedisArqQueue.from_url(
        cluster.url(SECRET, f"?socket_timeout={SOCKET_TIMEOUT}")
    )
    failures: list[RedisConnectionError] = []
    try:
        acknowledged = [await queue.enqueue("echo", n) for n in range(50)]
        acknowledged += [
            job
            for job in await queue.enqueue_many(
                [JobSpec("echo", (n,)) for n in range(50, 100)]
            )
            if isinstance(job, JobMetadata)
        ]
        await asyncio.to_thread(cluster.wait_replicated)
        crash(old_master)
        async with asyncio.timeout(FAILOVER_GUARD):
            while True:
                try:
                    after = await queue.enqueue("echo", "after the failover")
                    break
                except RedisConnectionError as error:
                    failures.append(error)
                    await asyncio.sleep(0.1)
        survivors = [await queue.get_job_metadata(job.id) for job in acknowledged]
        read_back = await queue.get_job_metadata(after.id)
        pool = queue.pool.connection_pool
        assert isinstance(pool, SentinelConnectionPool)
        new_master = await pool.get_master_address()  # type: ignore[no-untyped-call]
    finally:
        await queue.aclose()

    assert len(acknowledged) == 100
    assert survivors == acknowledged
    assert read_back == after
    assert new_master == ("127.0.0.1", replica.port)
    # The outage was seen, and each failure said what was missing.
    assert failures
    assert [
        error
        for error in failures
        if f"connecting to 127.0.0.1:{old_master.port}." not in str(error)
        and f"No master found for {MASTER!r}" not in str(error)
        and str(error) != "Connection closed by server."
    ] == []
    assert SECRET not in caplog.text
    assert [
        error
        for failure in failures
        for error in exception_chain(failure)
        if SECRET in f"{error} {error!r}"
    ] == []


async def test_closing_a_sentinel_queue_leaves_no_connection_open(
    sentinel_cluster: Callable[..., SentinelCluster],
) -> None:
    cluster = sentinel_cluster(replicas=0, sentinels=1, quorum=1)

    async def use_and_close() -> None:
        queue = await RedisArqQueue.from_url(cluster.url())
        async with queue:
            await queue.enqueue("echo", 1)

    with resource_warnings() as unclosed:
        await use_and_close()

    assert unclosed == []


async def test_a_master_restart_while_a_sentinel_queue_is_idle_is_invisible(
    sentinel_cluster: Callable[..., SentinelCluster],
) -> None:
    cluster = sentinel_cluster(replicas=0, sentinels=1, quorum=1)
    queue = await RedisArqQueue.from_url(cluster.url())
    try:
        await queue.ping()
        cluster.master.stop()
        cluster.master.start()
        job = await queue.enqueue("echo", "after the restart")
    finally:
        await queue.aclose()

    assert job.args == ("after the restart",)


async def test_a_sentinel_queue_takes_its_connection_limit_from_the_url(
    sentinel_cluster: Callable[..., SentinelCluster],
) -> None:
    cluster = sentinel_cluster(replicas=0, sentinels=1, quorum=1)
    queue = await RedisArqQueue.from_url(cluster.url(options="?max_connections=3"))
    try:
        jobs = await asyncio.gather(*(queue.enqueue("echo", n) for n in range(100)))
        limit = queue.pool.connection_pool.max_connections
    finally:
        await queue.aclose()

    assert [job.args for job in jobs] == [(n,) for n in range(100)]
    assert limit == 3
