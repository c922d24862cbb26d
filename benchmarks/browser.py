"""The job browser's API on a long queue: ``api/queues`` and a 100-job page."""

from __future__ import annotations

from typing import Any

from httpx import ASGITransport, AsyncClient

from benchmarks.harness import CONCURRENT, SEQUENTIAL, Call, Case, Row, measure
from benchmarks.suites import IN_FLIGHT, QUEUE, Context
from queue_browser import JobBrowser
from queue_core import JobSpec

BROWSER = "JobBrowser over RedisArqQueue (in-process ASGI)"
PAGE = 100


def queues_operation(jobs: int) -> str:
    """The ``api/queues`` operation's name, which says the queue's length."""
    return f"browser GET api/queues ({jobs:,} jobs queued)"


def jobs_operation(jobs: int) -> str:
    """The job page operation's name, which says the queue's length."""
    return f"browser GET api/jobs?limit={PAGE} ({jobs:,} jobs queued)"


async def bench_browser(ctx: Context) -> list[Row]:
    """Both requests, sequential and 128 in flight, on a queue of N jobs."""
    jobs = ctx.sizes.browser_jobs
    specs = [JobSpec("noop", (n,)) for n in range(jobs)]
    for start in range(0, jobs, 10_000):
        await ctx.ours.enqueue_many(specs[start : start + 10_000])
    browser = JobBrowser(ctx.ours, queue_names=[QUEUE])
    transport = ASGITransport(app=browser)
    async with AsyncClient(transport=transport, base_url="http://bench") as client:

        def get(path: str) -> Call:
            async def call(_: int) -> Any:
                response = await client.get(path)
                return response.raise_for_status()

            return call

        rows: list[Row] = []
        for operation, path in (
            (queues_operation(jobs), "/api/queues"),
            (jobs_operation(jobs), f"/api/jobs?limit={PAGE}"),
        ):
            for mode in (SEQUENTIAL, CONCURRENT):
                rows += await measure(
                    operation,
                    [Case(BROWSER, get(path))],
                    mode=mode,
                    calls=ctx.sizes.browser_calls,
                    rounds=ctx.sizes.rounds,
                    in_flight=IN_FLIGHT,
                )
    return rows
