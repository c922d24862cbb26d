"""What queue-core's worker sends Redis per job (counted with MONITOR), and when."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from arq.connections import ArqRedis
from arq.constants import (
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from redis.asyncio import Redis

from queue_core import EmbeddedRedis, JobSpec, RedisArqQueue
from tests.conftest import WorkerProcess, started_redis
from tests.worker.conftest import WAIT, enqueue, settings, until
from tests.worker.settings import GATE_KEY, STARTED_KEY

pytestmark = [pytest.mark.worker, pytest.mark.redis]

QUEUE = "tests:worker:trips"
BATCH = 10
"""`GateSettings`' ``max_jobs``: the jobs one look at the queue takes."""


@dataclass(frozen=True)
class Command:
    """A command a client sent, as MONITOR shows it."""

    client: str
    words: list[str]

    @property
    def name(self) -> str:
        return self.words[0].upper()


@pytest.fixture
def server() -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own, so MONITOR sees no other test."""
    with started_redis(tcp=True) as started:
        yield started


@asynccontextmanager
async def monitored(url: str) -> AsyncIterator[list[Command]]:
    """Every command any client sends while the block runs."""
    seen: list[Command] = []
    client = Redis.from_url(url)

    async def watch(ready: asyncio.Event) -> None:
        async with client.monitor() as monitor:
            ready.set()
            async for info in monitor.listen():
                if info["client_type"] == "lua":
                    continue  # run by a script: no round trip of its own
                seen.append(
                    Command(
                        f"{info['client_address']}:{info['client_port']}",
                        info["command"].split(" "),
                    )
                )

    ready = asyncio.Event()
    watching = asyncio.create_task(watch(ready))
    await ready.wait()
    try:
        yield seen
    finally:
        await asyncio.sleep(0.2)  # MONITOR's last lines are on their way
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await client.aclose()


async def _until_seen(commands: list[Command], client: Redis) -> list[Command]:
    """The commands sent so far: those MONITOR showed before a marker."""
    await client.echo("marker")

    async def marked() -> bool:
        return any(c.words == ["ECHO", "marker"] for c in commands)

    await until(marked)
    return commands[: [c.words for c in commands].index(["ECHO", "marker"])]


def _evalsha(commands: list[Command], job_ids: set[str]) -> tuple[int, Counter[str]]:
    """How many claims, and how many finishes of each job, were sent.

    A claim's arguments are numbers; a finish's first is its job's id.
    """
    calls = [c.words for c in commands if c.name == "EVALSHA" and c.words[3] == QUEUE]
    finishes = Counter(words[4] for words in calls if words[4] in job_ids)
    claims = [words for words in calls if words[4] not in job_ids]
    assert all(word.isdigit() for words in claims for word in words[4:9])
    return len(claims), finishes


async def test_a_batch_of_due_jobs_is_claimed_in_one_call_and_each_finished_in_one(
    server: EmbeddedRedis, arq_worker: Callable[..., WorkerProcess]
) -> None:
    job_ids = {f"trip-{n}" for n in range(BATCH)}
    async with await RedisArqQueue.from_url(server.url) as queue:
        await queue.enqueue_many(
            [JobSpec("wait_for_gate", job_id=job_id) for job_id in job_ids],
            queue_name=QUEUE,
        )
    client = Redis.from_url(server.url)
    try:
        async with monitored(server.url) as commands:
            arq_worker(
                QUEUE,
                settings_path=settings("GateSettings"),
                program="queue-core",
                url=server.url,
            )

            async def all_started() -> bool:
                return int(await client.get(STARTED_KEY) or 0) == BATCH

            await until(all_started)
            while_running = await _until_seen(commands, client)
            await client.set(GATE_KEY, 1)

            async def all_finished() -> bool:
                return not await client.zcard(QUEUE)

            await until(all_finished)
        mine = (await client.client_info())["addr"]
    finally:
        await client.aclose()

    worker = [c for c in commands if c.client != mine]
    assert _evalsha(while_running, job_ids) == (1, Counter())
    _, finishes = _evalsha(worker, job_ids)
    assert finishes == dict.fromkeys(job_ids, 1)
    assert [
        c.words
        for c in worker
        if c.name != "EVALSHA"
        and any(job_id in c.words[1:] for job_id in _keys(job_ids))
    ] == []


def _keys(job_ids: set[str]) -> set[str]:
    """Every key arq keeps for these jobs."""
    return {
        prefix + job_id
        for prefix in (
            job_key_prefix,
            in_progress_key_prefix,
            retry_key_prefix,
            result_key_prefix,
        )
        for job_id in job_ids
    }


async def test_a_freed_slot_is_filled_at_once_not_at_the_next_poll(
    arq_redis: ArqRedis, arq_worker: Callable[..., WorkerProcess]
) -> None:
    jobs = [await enqueue(arq_redis, "echo", n, queue_name=QUEUE) for n in range(3)]
    arq_worker(QUEUE, settings_path=settings("SlowPollSettings"), program="queue-core")

    results = [await job.result(timeout=WAIT, poll_delay=0.02) for job in jobs]
    assert results == [0, 1, 2]
