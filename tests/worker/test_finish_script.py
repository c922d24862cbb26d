"""The worker's finish script, sent twice: what a lost reply makes the worker do.

After a dropped connection the worker sends a job's finish again, and the
first one may have run: the second must change nothing more.
"""

from __future__ import annotations

import pytest
from arq.constants import in_progress_key_prefix, result_key_prefix

from queue_core import RedisArqQueue
from queue_core._redis_store import RedisStore

pytestmark = [pytest.mark.redis]

QUEUE = "tests:worker:finish"


async def claimed_job(redis_queue: RedisArqQueue, store: RedisStore) -> tuple[str, int]:
    job = await redis_queue.enqueue("echo", 1, _queue_name=QUEUE)
    [claim] = await store.claim(
        QUEUE, 1, read_limit=10, in_progress_ms=60_000, abort=False
    )
    assert claim.job_id == job.id
    return claim.job_id, claim.score


async def test_a_retry_finished_twice_moves_the_job_once(
    redis_queue: RedisArqQueue,
) -> None:
    store = RedisStore(redis_queue, timeout=5)
    await store.load_scripts()
    job_id, score = await claimed_job(redis_queue, store)

    for _ in range(2):
        await store.requeue(
            job_id, QUEUE, new_score=score + 5_000, keep_in_progress_ms=None
        )

    assert await redis_queue.pool.zscore(QUEUE, job_id) == score + 5_000
    assert not await redis_queue.pool.exists(in_progress_key_prefix + job_id)


async def test_a_result_finished_twice_is_kept_once(
    redis_queue: RedisArqQueue,
) -> None:
    store = RedisStore(redis_queue, timeout=5)
    await store.load_scripts()
    job_id, _ = await claimed_job(redis_queue, store)

    for _ in range(2):
        await store.finish(
            job_id, QUEUE, result=b"done", keep_ms=60_000, keep_in_progress_ms=None
        )

    assert await redis_queue.pool.get(result_key_prefix + job_id) == b"done"
    assert await redis_queue.pool.zscore(QUEUE, job_id) is None
    assert await redis_queue.pool.zcard(QUEUE) == 0
