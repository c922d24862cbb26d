"""A 100,000-job queue: every browser request reads a bounded part of it.

Measured by what Redis sends (bytes and commands, from INFO) and what Python
allocates, never by time.
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest
from redis.asyncio import Redis

from queue_core import JobSpec, RedisArqQueue
from tests.browser.conftest import browser_client

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

JOBS = 100_000
DEFERRED = 100
QUEUE = "browser:big"
MAX_BYTES = 300_000
"""Most bytes Redis may send for one request: the queue holds about 100 times
as much (one job's payload is about 60 bytes)."""

MAX_ALLOCATED = 8_000_000
"""Peak bytes Python may allocate for one request."""


async def _stats(admin: Redis) -> dict[str, Any]:
    stats = await admin.info("stats")
    commands = await admin.info("commandstats")
    return {
        "bytes": int(stats["total_net_output_bytes"]),
        **{name: value["calls"] for name, value in commands.items()},
    }


CASES = [
    ("/jobs/api/queues", 0, None),
    ("/jobs/api/jobs?limit=100", 100, 100),
    ("/jobs/api/jobs?limit=500", 500, 500),
    ("/jobs/api/jobs?status=deferred&limit=100", 100, 100),
    ("/jobs/api/jobs?status=queued&limit=100", 100, 100),
    ("/jobs/api/jobs?status=in_progress&limit=100", 500, 0),
    ("/jobs/api/jobs?status=complete&limit=100", 0, 0),
    ("/jobs/?limit=100", 100, None),
]
"""Each request, how many jobs it may read, and how many it lists."""


async def test_each_request_on_a_100000_job_queue_reads_a_bounded_part_of_it(
    redis_url: str, redis_queue: RedisArqQueue
) -> None:
    jobs = [JobSpec("echo", (n,), queue_name=QUEUE) for n in range(JOBS)]
    jobs += [
        JobSpec("echo", (n,), queue_name=QUEUE, defer_by=600) for n in range(DEFERRED)
    ]
    await redis_queue.enqueue_many(jobs)
    admin = Redis.from_url(redis_url)
    try:
        async with browser_client(redis_queue, queue_names=[QUEUE]) as client:
            await client.get("/jobs/api/queues")  # connections and scripts warm
            for path, most_jobs_read, listed_jobs in CASES:
                await admin.config_resetstat()
                before = await _stats(admin)
                tracemalloc.start()
                try:
                    response = await client.get(path)
                    allocated = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
                after = await _stats(admin)

                assert response.status_code == 200, path
                if listed_jobs is not None:
                    listed = response.json()["jobs"]
                    assert len(listed) == listed_jobs, path
                    if "deferred" in path:
                        assert {job["status"] for job in listed} == {"deferred"}
                sent = after["bytes"] - before["bytes"]
                reads = after.get("get", 0) - before.get("get", 0)
                assert sent < MAX_BYTES, path
                assert reads <= most_jobs_read, path
                assert after.get("scan", 0) - before.get("scan", 0) <= 10, path
                assert after.get("exists", 0) - before.get("exists", 0) <= 2100, path
                assert allocated < MAX_ALLOCATED, path
    finally:
        await admin.aclose()
