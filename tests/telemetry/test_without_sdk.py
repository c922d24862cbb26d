"""Without an SDK nothing extra is written; without the API nothing is imported."""

from __future__ import annotations

import json
import textwrap

import pytest
from arq.connections import RedisSettings

from tests.conftest import run_python

pytestmark = [pytest.mark.redis]

BLOCK_OPENTELEMETRY = """
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "opentelemetry":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, Blocker())
"""

SCRIPT = """
import asyncio, json, sys
from redis import Redis
from queue_core import JobSpec, RedisArqQueue, WorkerSettings, build_arq_redis_settings

async def noop(ctx):
    pass

async def main():
    url = sys.argv[1]
    async with await RedisArqQueue.initialize(build_arq_redis_settings(url)) as queue:
        job = await queue.enqueue("noop")
        await queue.enqueue_many([JobSpec("noop")])
        await queue.get_job_metadata(job.id)
        parent = None
        try:
            from opentelemetry import context, propagate
        except ImportError:
            pass
        else:
            token = context.attach(propagate.extract({"traceparent": sys.argv[2]}))
            parent = (await queue.enqueue("noop")).id
            context.detach(token)
    client = Redis.from_url(url)
    print(json.dumps({
        "side_keys": sorted(k.decode() for k in client.keys("arq:trace:*")),
        "parent": parent,
        "stored": parent and client.get("arq:trace:" + parent).decode(),
        "otel": sorted(m for m in sys.modules if m.startswith("opentelemetry")),
        "plain": WorkerSettings(functions=[noop]).functions == [noop],
    }))

asyncio.run(main())
"""

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def run(redis_url: str, *, blocked: bool) -> dict[str, object]:
    code = (BLOCK_OPENTELEMETRY if blocked else "") + textwrap.dedent(SCRIPT)
    done = run_python("-c", code, redis_url, TRACEPARENT)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_without_opentelemetry_queues_work_and_import_nothing_of_it(
    redis_url: str,
    redis_settings: RedisSettings,  # noqa: ARG001 - empties Redis
) -> None:
    result = run(redis_url, blocked=True)
    assert result["otel"] == []
    assert result["side_keys"] == []
    assert result["plain"] is True


def test_without_an_sdk_only_an_incoming_trace_is_carried_to_the_worker(
    redis_url: str,
    redis_settings: RedisSettings,  # noqa: ARG001 - empties Redis
) -> None:
    result = run(redis_url, blocked=False)
    # No trace active: enqueue and enqueue_many write nothing extra.
    assert result["side_keys"] == [f"arq:trace:{result['parent']}"]
    # A context from upstream is passed on even with no SDK here.
    stored = json.loads(str(result["stored"]))
    assert stored["traceparent"] == TRACEPARENT
    assert result["plain"] is False
