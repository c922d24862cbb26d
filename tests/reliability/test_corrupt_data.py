"""Bad data: a result nobody can read, and Redis URLs nobody can use.

Bad enqueue arguments are covered by tests/conformance/test_bad_input.py,
unreadable job payloads by tests/test_redis_backend.py.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from arq.jobs import DeserializationError

from queue_core import (
    JobDeserializationError,
    RedactedRedisSettings,
    RedisArqQueue,
    build_arq_redis_settings,
)
from tests.conftest import WorkerProcess
from tests.reliability.conftest import SECRET, exception_chain

CORRUPT_QUEUE = "reliability:corrupt"

EntryPoint = Callable[[str], Awaitable[object]]


async def _settings(url: str) -> RedactedRedisSettings:
    return build_arq_redis_settings(url)


async def _queue(url: str) -> RedisArqQueue:
    return await RedisArqQueue.from_url(url)


ENTRY_POINTS: dict[str, EntryPoint] = {
    "build_arq_redis_settings": _settings,
    "RedisArqQueue.from_url": _queue,
}


@pytest.mark.worker
async def test_an_unreadable_result_names_its_job_and_cause_and_spares_the_others(
    redis_queue: RedisArqQueue, arq_worker: Callable[..., WorkerProcess]
) -> None:
    queue = redis_queue
    arq_worker(CORRUPT_QUEUE)
    good = await queue.enqueue("echo", "fine", _queue_name=CORRUPT_QUEUE)
    bad = await queue.enqueue("echo", "spoiled", _queue_name=CORRUPT_QUEUE)
    for job in (good, bad):
        await queue.wait_for_result(job.id, CORRUPT_QUEUE, timeout=20)
    await queue.pool.set(f"arq:result:{bad.id}", b"written by something else")

    reads: dict[str, Callable[[], Awaitable[object]]] = {
        "get_job_result": lambda: queue.get_job_result(bad.id, CORRUPT_QUEUE),
        "get_job_metadata": lambda: queue.get_job_metadata(bad.id, CORRUPT_QUEUE),
        "wait_for_result": lambda: queue.wait_for_result(bad.id, CORRUPT_QUEUE),
    }
    errors: dict[str, JobDeserializationError] = {}
    for name, read in reads.items():
        with pytest.raises(JobDeserializationError) as error:
            await read()
        errors[name] = error.value

    assert {name: str(error) for name, error in errors.items()} == dict.fromkeys(
        reads,
        f"Job data could not be deserialized. id={bad.id}: "
        "UnpicklingError: invalid load key, 'w'.",
    )
    assert all(error.job_id == bad.id for error in errors.values())
    assert all(isinstance(error, DeserializationError) for error in errors.values())
    assert (await queue.get_job_result(good.id, CORRUPT_QUEUE)).result == "fine"
    assert (await queue.enqueue("echo", "next")).args == ("next",)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            f"https://:{SECRET}@127.0.0.1:6379",
            (
                "Redis URL must start with redis://, rediss://, unix:// or "
                "redis+sentinel://, not https://"
            ),
        ),
        (
            f"redis://:{SECRET}@127.0.0.1:port/0",
            "Redis URL is malformed (check the host and port)",
        ),
        (
            f"redis+sentinel://:{SECRET}@127.0.0.1:26379,127.0.0.1:port/mymaster",
            "Redis Sentinel URL needs host:port pairs separated by commas",
        ),
        (
            f"redis://:{SECRET}@127.0.0.1:6379/0?socket_timeout=0",
            "Redis URL option socket_timeout must be positive seconds or none, not '0'",
        ),
        (
            f"redis://:{SECRET}@127.0.0.1:6379/0?max_connections=many",
            "Redis URL option max_connections must be an integer, not 'many'",
        ),
    ],
)
async def test_a_malformed_url_is_refused_before_any_connection_by_each_entry_point(
    entry_point: str, url: str, message: str
) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$") as error:
        await ENTRY_POINTS[entry_point](url)

    assert [e for e in exception_chain(error.value) if SECRET in f"{e} {e!r}"] == []
