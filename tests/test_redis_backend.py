"""What only the Redis backend can show: arq interop, round trips, scripts."""

from __future__ import annotations

import asyncio
import pickle
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import result_key_prefix
from arq.jobs import Job, serialize_result
from arq.jobs import JobStatus as ArqJobStatus
from redis.asyncio.connection import AbstractConnection

from queue_core import (
    JobDeserializationError,
    JobMetadata,
    JobNotFound,
    JobNotQueued,
    JobSpec,
    JobStatus,
    RedisArqQueue,
    json_deserializer,
)
from queue_core._wire import IDLE_CHECK
from tests.conftest import WorkerProcess

WORK = "redis-backend:work"


@pytest.fixture
async def arq_pool(redis_settings: RedisSettings) -> Any:
    """arq's own client on the same Redis."""
    pool = await create_pool(redis_settings)
    try:
        yield pool
    finally:
        await pool.aclose()


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts writes to a Redis socket: one per round trip, pipelines included."""
    sent = [0]
    original = AbstractConnection.send_packed_command

    async def counting(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        sent[0] += 1
        await original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return sent


async def _count(sent: list[int], call: Callable[[], Any]) -> int:
    before = sent[0]
    await call()
    return sent[0] - before


async def test_every_call_is_one_round_trip(
    redis_queue: RedisArqQueue,
    arq_worker: Callable[..., WorkerProcess],
    round_trips: list[int],
) -> None:
    sent = round_trips
    arq_worker(WORK)
    queue = redis_queue
    job = await queue.enqueue("add", 1, 2, _queue_name=WORK)
    await queue.wait_for_result(job.id, WORK, timeout=20, poll_interval=0.02)
    queued = await queue.enqueue("echo", 1)

    counts = {
        "enqueue": await _count(sent, lambda: queue.enqueue("echo", 2)),
        "metadata": await _count(sent, lambda: queue.get_job_metadata(queued.id)),
        "metadata of a finished job": await _count(
            sent, lambda: queue.get_job_metadata(job.id, WORK)
        ),
        "result": await _count(sent, lambda: queue.get_job_result(job.id, WORK)),
        "batch of 500": await _count(
            sent,
            lambda: queue.enqueue_many([JobSpec("echo", (n,)) for n in range(500)]),
        ),
        "list": await _count(sent, lambda: queue.list_jobs(limit=100)),
        "depth": await _count(sent, queue.queue_depth),
        "abort of a finished job": await _count(
            sent, lambda: queue.abort_job(job.id, WORK)
        ),
        "ping": await _count(sent, queue.ping),
    }

    assert counts == dict.fromkeys(counts, 1)


async def test_our_jobs_read_by_arq_and_arqs_jobs_read_by_us_agree(
    redis_queue: RedisArqQueue, arq_pool: ArqRedis
) -> None:
    ours = await redis_queue.enqueue("echo", 1, x=2, _defer_by=30)
    theirs = await arq_pool.enqueue_job("echo", 3, y=4, _job_id="from-arq")
    assert theirs is not None

    arq_view = await Job(ours.id, arq_pool).info()
    our_view = await redis_queue.get_job_metadata("from-arq")

    assert arq_view is not None
    assert (arq_view.function, arq_view.args, arq_view.kwargs) == (
        "echo",
        (1,),
        {"x": 2},
    )
    assert arq_view.enqueue_time == ours.enqueue_time
    assert arq_view.score == int(ours.enqueue_time.timestamp() * 1000) + 30_000
    assert (our_view.name, our_view.args, our_view.kwargs) == ("echo", (3,), {"y": 4})
    assert our_view.status is JobStatus.queued


async def test_status_agrees_with_arqs_job_status_in_every_state(
    redis_queue: RedisArqQueue,
    arq_pool: ArqRedis,
    arq_worker: Callable[..., WorkerProcess],
) -> None:
    async def both(job_id: str, queue_name: str) -> tuple[JobStatus, ArqJobStatus]:
        arq_status = await Job(job_id, arq_pool, _queue_name=queue_name).status()
        try:
            ours = (await redis_queue.get_job_metadata(job_id, queue_name)).status
        except JobNotFound:
            ours = JobStatus.not_found
        return ours, arq_status

    deferred = await redis_queue.enqueue("echo", 1, _queue_name=WORK, _defer_by=600)
    queued = await redis_queue.enqueue("echo", 1, _queue_name="redis-backend:idle")
    seen = {
        "deferred": await both(deferred.id, WORK),
        "queued": await both(queued.id, "redis-backend:idle"),
        "not_found": await both("missing", WORK),
    }
    arq_worker(WORK)
    running = await redis_queue.enqueue("sleep", 2, _queue_name=WORK)
    async with asyncio.timeout(20):
        while (await both(running.id, WORK))[1] is not ArqJobStatus.in_progress:
            await asyncio.sleep(0.02)
    seen["in_progress"] = await both(running.id, WORK)
    await redis_queue.wait_for_result(running.id, WORK, timeout=20)
    seen["complete"] = await both(running.id, WORK)

    assert seen == {
        name: (JobStatus(name), ArqJobStatus(name))
        for name in ("deferred", "queued", "not_found", "in_progress", "complete")
    }


async def test_an_unreadable_payload_names_its_job_and_spares_the_others(
    redis_settings: RedisSettings, redis_queue: RedisArqQueue
) -> None:
    good = await redis_queue.enqueue("echo", "fine")
    bad = await redis_queue.enqueue("echo", "pickled")
    json_queue = await RedisArqQueue.initialize(
        redis_settings, job_deserializer=json_deserializer
    )
    async with json_queue:
        with pytest.raises(JobDeserializationError) as error:
            await json_queue.get_job_metadata(bad.id)
        assert f"id={bad.id}" in str(error.value)
        assert error.value.job_id == bad.id

    await redis_queue.pool.set("arq:job:" + bad.id, b"\x80not a pickle")
    listed = await redis_queue.list_jobs()

    assert [job.id for job in listed] == [good.id]
    assert (await redis_queue.get_job_metadata(good.id)).args == ("fine",)
    with pytest.raises(JobDeserializationError, match=f"id={bad.id}"):
        await redis_queue.get_job_metadata(bad.id)


async def test_calls_survive_redis_forgetting_the_scripts(
    redis_queue: RedisArqQueue,
) -> None:
    await redis_queue.pool.script_flush()
    job = await redis_queue.enqueue("echo", 1)
    await redis_queue.pool.script_flush()
    batch = await redis_queue.enqueue_many(
        [JobSpec("echo", (2,)), JobSpec("echo", (3,))]
    )
    await redis_queue.pool.script_flush()

    assert (await redis_queue.get_job_metadata(job.id)).args == (1,)
    assert all(isinstance(outcome, JobMetadata) for outcome in batch)
    assert await redis_queue.queue_depth() == 3


async def test_calls_cancelled_awaiting_their_reply_leave_no_connection_astray(
    redis_settings: RedisSettings, arq_pool: ArqRedis
) -> None:
    """A reply that arrives after its call was cancelled reaches no other call."""
    queue = await RedisArqQueue.initialize(replace(redis_settings, max_connections=2))
    try:
        jobs = [await queue.enqueue("echo", n) for n in range(6)]
        await arq_pool.client_pause(500)
        waiting = [
            asyncio.create_task(queue.get_job_metadata(job.id)) for job in jobs[:2]
        ]
        await asyncio.sleep(0.1)
        for call in waiting:
            call.cancel()
        await asyncio.gather(*waiting, return_exceptions=True)
        read = await asyncio.gather(*(queue.get_job_metadata(job.id) for job in jobs))
    finally:
        await queue.aclose()

    assert all(call.cancelled() for call in waiting)
    assert [job.args for job in read] == [(n,) for n in range(6)]


async def test_connections_redis_closed_while_idle_are_replaced_without_retries(
    redis_settings: RedisSettings, arq_pool: ArqRedis
) -> None:
    """As redis-py does: an idle connection is checked before it is used.

    The queue's pool is arq's own, which retries nothing, so a call sent on
    a closed connection would fail.
    """
    pool = await create_pool(redis_settings)
    queue = RedisArqQueue(pool)
    try:
        jobs = await asyncio.gather(*(queue.enqueue("echo", n) for n in range(3)))
        await asyncio.sleep(IDLE_CHECK + 0.2)
        killed = await arq_pool.client_kill_filter(_type="normal", skipme=True)
        read = await asyncio.gather(*(queue.get_job_metadata(job.id) for job in jobs))
    finally:
        await queue.aclose()
        await pool.aclose()

    assert killed >= 1
    assert [job.args for job in read] == [(n,) for n in range(3)]


async def test_two_hundred_concurrent_enqueues_of_one_id_have_one_winner(
    redis_settings: RedisSettings,
) -> None:
    queues = [await RedisArqQueue.initialize(redis_settings) for _ in range(4)]
    try:
        outcomes = await asyncio.gather(
            *(
                queues[n % 4].enqueue("echo", n, _job_id="contested")
                for n in range(200)
            ),
            return_exceptions=True,
        )
    finally:
        for queue in queues:
            await queue.aclose()

    assert sum(isinstance(o, JobMetadata) for o in outcomes) == 1
    assert sum(isinstance(o, JobNotQueued) for o in outcomes) == 199


async def test_the_stored_payload_is_arqs_pickle_format(
    redis_queue: RedisArqQueue,
) -> None:
    job = await redis_queue.enqueue("echo", 1, k="v", _job_try=3)

    raw = await redis_queue.pool.get("arq:job:" + job.id)
    ttl = await redis_queue.pool.pttl("arq:job:" + job.id)

    assert raw is not None
    assert pickle.loads(raw) == {  # noqa: S301 - our own test data
        "t": 3,
        "f": "echo",
        "a": (1,),
        "k": {"k": "v"},
        "et": int(job.enqueue_time.timestamp() * 1000),
    }
    assert 86_000_000 < ttl <= 86_400_000


@pytest.mark.parametrize("seed", range(5))
async def test_a_batch_agrees_with_enqueueing_its_jobs_one_by_one(
    redis_queue: RedisArqQueue, seed: int
) -> None:
    draw = random.Random(seed)  # noqa: S311 - test data, not secrets
    ids = [f"job-{n}" for n in range(12)]
    taken = draw.sample(ids, 4)
    finished = draw.sample([i for i in ids if i not in taken], 2)
    specs = [
        JobSpec(
            "echo",
            (n,),
            job_id=draw.choice([*ids, None]),
            queue_name=draw.choice([None, "redis-backend:other"]),
            defer_by=draw.choice([None, 60]),
        )
        for n in range(40)
    ]
    pool = redis_queue.pool

    async def prepare() -> None:
        await pool.flushdb()
        for job_id in taken:
            await redis_queue.enqueue("echo", "old", _job_id=job_id)
        for job_id in finished:
            await pool.set("arq:result:" + job_id, b"kept")

    async def state(outcomes: list[object]) -> object:
        refused = [i for i, o in enumerate(outcomes) if isinstance(o, JobNotQueued)]
        queued = {
            name: sorted(
                (job.id if job.id in ids else "random", job.args, job.status)
                for job in await redis_queue.list_jobs(name)
            )
            for name in ("arq:queue", "redis-backend:other")
        }
        return refused, queued

    await prepare()
    batched = await state(list(await redis_queue.enqueue_many(specs)))
    await prepare()
    one_by_one: list[object] = []
    for spec in specs:
        try:
            one_by_one.append(
                await redis_queue.enqueue(
                    spec.task_name,
                    *spec.args,
                    _job_id=spec.job_id,
                    _queue_name=spec.queue_name,
                    _defer_by=spec.defer_by,
                )
            )
        except JobNotQueued as refused:
            one_by_one.append(refused)

    assert batched == await state(one_by_one)


async def test_a_write_sent_again_is_accepted_for_a_random_id_only(
    redis_queue: RedisArqQueue,
) -> None:
    # What redis-py's retry after a dropped connection sends: the same
    # script call again, after Redis already ran the first.
    codec = redis_queue._codec
    drawn = codec.plan("echo", (1,), {}, queue_name="arq:queue")
    given = codec.plan("echo", (1,), {}, queue_name="arq:queue", job_id="given")

    assert (await redis_queue._store(drawn)).id == drawn.job_id
    assert (await redis_queue._store(drawn)).id == drawn.job_id
    await redis_queue._store(given)
    with pytest.raises(JobNotQueued):
        await redis_queue._store(given)
    outcomes = await redis_queue._store_many([drawn, given])
    assert isinstance(outcomes[0], JobMetadata)
    assert isinstance(outcomes[1], JobNotQueued)
    assert await redis_queue.queue_depth() == 2


@pytest.mark.parametrize("limit", [1000, 999, 1001, 2500])
async def test_result_pages_over_many_scan_steps_list_each_result_once(
    redis_queue: RedisArqQueue, limit: int
) -> None:
    # More results than one SCAN step visits (1,000 keys), written as arq's
    # worker writes them, with keys of other kinds and queues among them.
    kept = [f"kept-{n:04d}" for n in range(2500)]
    async with redis_queue.pool.pipeline(transaction=False) as pipe:
        for n, job_id in enumerate([*kept, "elsewhere"]):
            result = serialize_result(
                function="echo",
                args=(n,),
                kwargs={},
                job_try=1,
                enqueue_time_ms=1,
                success=True,
                result=n,
                start_ms=2,
                finished_ms=3,
                ref=f"{job_id}:echo",
                queue_name=WORK if job_id != "elsewhere" else "redis-backend:other",
                job_id=job_id,
            )
            assert result is not None
            pipe.set(result_key_prefix + job_id, result)
            pipe.set(f"unrelated:{n}", b"x")
        await pipe.execute()

    listed: list[str] = []
    cursor: str | None = None
    while True:
        page = await redis_queue.list_results(WORK, limit=limit, cursor=cursor)
        assert len(page.results) <= limit
        listed += [result.id for result in page.results]
        cursor = page.cursor
        if cursor is None:
            break

    assert sorted(listed) == kept
