"""The benchmark's parts: each measures one operation on every implementation."""

from __future__ import annotations

import asyncio
import functools
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from arq.connections import ArqRedis, create_pool
from arq.constants import in_progress_key_prefix, job_key_prefix, result_key_prefix
from arq.jobs import Job, deserialize_result, serialize_result

from benchmarks import processes
from benchmarks.baseline import SafirStyleQueue
from benchmarks.harness import (
    BATCH,
    CONCURRENT,
    SEQUENTIAL,
    Case,
    Row,
    measure,
    percentile,
)
from benchmarks.worker import noop
from queue_core import (
    JobMetadata,
    JobSpec,
    MockArqQueue,
    RedisArqQueue,
    build_arq_redis_settings,
)
from queue_core._redis import _READ

QUEUE = "bench:queue"
E2E_QUEUE = "bench:e2e"
IN_FLIGHT = 100
PIPELINED = "pipelined"

ENQUEUE = "enqueue"
METADATA = "get_job_metadata (queued job)"
RESULT = "get_job_result (finished job)"
READS = "read a queued job: one script call vs pipelines"
PROXIED = "enqueue through a 1 ms latency proxy"
END_TO_END = "end to end: no-op jobs enqueued and drained by an arq worker"
REDIS_SET = "redis-benchmark SET"
REDIS_ZADD = "redis-benchmark ZADD"

OURS = "queue-core RedisArqQueue"
OURS_UNTIMED = "queue-core RedisArqQueue, socket_timeout=None"
BASELINE = "safir-style: enqueue_job + Job.info + Job.status"
BASELINE_METADATA = "safir-style: Job.info + Job.status"
BASELINE_RESULT = "safir-style: Job.info + Job.status + Job.result_info"
BASELINES = (BASELINE, BASELINE_METADATA, BASELINE_RESULT)
RAW_ENQUEUE = "raw arq: enqueue_job alone"
RAW_STATUS = "raw arq: Job.status alone"
RAW_RESULT = "raw arq: Job.result_info alone"
MOCK = "queue-core MockArqQueue"
LIMIT = "limit: redis-py GET + arq's deserialize_result"
LIMIT_NOTE = (
    "arq's own result read: one round trip through redis-py's client; "
    "on an unbounded arq pool"
)
BY_TASK = "enqueue by name and by typed task, alternating call by call"
BY_TASK_PAIRS = {
    implementation: (
        f'{implementation}: enqueue("noop")',
        f"{implementation}: enqueue(noop), a typed task",
    )
    for implementation in (OURS, MOCK)
}
"""Per implementation: its by-name row and its by-task row."""
BY_TASK_WARMUP = 20
TELEMETRY = "enqueue with telemetry off and on (API, no SDK), alternating call by call"
TELEMETRY_PAIRS = {
    implementation: (
        f"{implementation}, telemetry=False",
        f"{implementation}, telemetry on: OpenTelemetry API, no SDK",
    )
    for implementation in (OURS, MOCK)
}
"""Per implementation: its row without telemetry and its row with it."""
READ_SCRIPT = "EVALSHA of queue-core's read script"
READ_MULTI = "MULTI/EXEC pipeline: GET, GET, ZSCORE, EXISTS"
READ_PIPELINE = "pipeline without MULTI: the same 4 commands"
READ_GET = "one GET, for scale"
PROXIED_PING = "one PING, for scale: what a round trip costs through the proxy"
PIPELINED_SET = "redis-benchmark -c 1 -P 16"

WORKER_CONFIGS: list[tuple[str, float, int]] = [
    ("arq's defaults", 0.5, 10),
    ("recommended", 0.05, 100),
    ("recommended, eager", 0.01, 200),
]
"""End-to-end worker settings: (label, poll_delay, max_jobs)."""


def enqueue_many_operation(jobs: int) -> str:
    """The batch operation's name, which says the batch size."""
    return f"enqueue_many ({jobs:,} jobs a batch)"


@dataclass(frozen=True)
class Sizes:
    """How much work each part does."""

    calls: int
    rounds: int
    jobs_read: int
    batch_jobs: int
    batch_rounds: int
    proxied_calls: int
    e2e_default_jobs: int
    e2e_tuned_jobs: int
    redis_benchmark_plain: int
    redis_benchmark_pipelined: int
    browser_jobs: int = 100_000
    browser_calls: int = 1000


FULL = Sizes(
    calls=6000,
    rounds=10,
    jobs_read=2000,
    batch_jobs=10_000,
    batch_rounds=8,
    proxied_calls=400,
    e2e_default_jobs=1000,
    e2e_tuned_jobs=5000,
    redis_benchmark_plain=10_000,
    redis_benchmark_pipelined=100_000,
)
QUICK = Sizes(
    calls=300,
    rounds=2,
    jobs_read=100,
    batch_jobs=200,
    batch_rounds=1,
    proxied_calls=20,
    e2e_default_jobs=20,
    e2e_tuned_jobs=50,
    redis_benchmark_plain=1000,
    redis_benchmark_pipelined=10_000,
    browser_jobs=1000,
    browser_calls=40,
)


@dataclass
class Context:
    """What every part of the benchmark shares."""

    sizes: Sizes
    placement: processes.Placement
    server_url: str
    server_port: int
    ours: RedisArqQueue
    ours_untimed: RedisArqQueue
    ours_untraced: RedisArqQueue
    """`ours` with ``telemetry=False``."""
    pool: ArqRedis
    baseline: SafirStyleQueue


async def _both_modes(ctx: Context, operation: str, cases: list[Case]) -> list[Row]:
    rows: list[Row] = []
    for mode in (SEQUENTIAL, CONCURRENT):
        rows += await measure(
            operation,
            cases,
            mode=mode,
            calls=ctx.sizes.calls,
            rounds=ctx.sizes.rounds,
            in_flight=IN_FLIGHT,
        )
    return rows


async def _queued_ids(ctx: Context, count: int, task: str = "noop") -> list[str]:
    specs = [JobSpec(task, (n,) if task == "echo" else ()) for n in range(count)]
    outcomes = await ctx.ours.enqueue_many(specs)
    return [job.id for job in outcomes if isinstance(job, JobMetadata)]


def _picker(ids: list[str]) -> Callable[[int], str]:
    return lambda index: ids[index % len(ids)]


async def _limit_case(ctx: Context) -> Case:
    """The limit of a one-round-trip call: one GET of a result, deserialized.

    Results are written as a worker writes them, under ids of their own, so
    the case reads what `get_job_result` reads, with nothing around it.
    """
    keys = [f"{result_key_prefix}limit-{n}" for n in range(ctx.sizes.jobs_read)]
    async with ctx.pool.pipeline(transaction=False) as pipe:
        for n, key in enumerate(keys):
            job_id = key.removeprefix(result_key_prefix)
            payload = serialize_result(
                function="echo",
                args=(n,),
                kwargs={},
                job_try=1,
                enqueue_time_ms=0,
                success=True,
                result=n,
                start_ms=0,
                finished_ms=1,
                ref=f"{job_id}:echo",
                queue_name=QUEUE,
                job_id=job_id,
            )
            assert payload is not None  # noqa: S101 - an int always serializes
            pipe.set(key, payload)
        await pipe.execute()
    pick = _picker(keys)

    async def read(index: int) -> Any:
        return deserialize_result(await ctx.pool.get(pick(index)))

    return Case(LIMIT, read, note=LIMIT_NOTE)


UNTIMED_NOTE = (
    "for scale: redis-py wraps each send in asyncio.wait_for when a socket "
    "timeout is set, a Task per command on Python 3.11"
)


async def bench_enqueue(ctx: Context) -> list[Row]:
    """Enqueue one job and return its metadata (raw arq returns a `Job`)."""
    mock = MockArqQueue(default_queue_name=QUEUE)
    cases = [
        Case(OURS, lambda _: ctx.ours.enqueue("noop")),
        Case(
            OURS_UNTIMED,
            lambda _: ctx.ours_untimed.enqueue("noop"),
            note=UNTIMED_NOTE,
        ),
        Case(BASELINE, lambda _: ctx.baseline.enqueue("noop")),
        Case(
            RAW_ENQUEUE,
            lambda _: ctx.pool.enqueue_job("noop", _queue_name=QUEUE),
            note="returns no metadata",
        ),
        Case(MOCK, lambda _: mock.enqueue("noop")),
        await _limit_case(ctx),
    ]
    return await _both_modes(ctx, ENQUEUE, cases)


async def bench_by_task(ctx: Context) -> list[Row]:
    """Enqueue the same no-op job by name and by typed task, call by call.

    The two calls alternate (in alternating order), so each pair sees the
    same load, and the ratio of their median latencies measures what a
    task costs over a name even on a busy machine; rates are per round of
    ``calls / rounds`` pairs.
    """
    mock = MockArqQueue(default_queue_name=QUEUE)
    rows: list[Row] = []
    for implementation, queue in ((OURS, ctx.ours), (MOCK, mock)):
        by_name, by_task = BY_TASK_PAIRS[implementation]
        rows += await _alternating(
            ctx,
            BY_TASK,
            [
                (by_name, functools.partial(queue.enqueue, "noop")),
                (by_task, functools.partial(queue.enqueue, noop)),
            ],
        )
    return rows


async def bench_telemetry(ctx: Context) -> list[Row]:
    """Enqueue with telemetry off and on, call by call, as `bench_by_task`.

    Telemetry on means OpenTelemetry's API installed and no SDK configured
    (the benchmark sets none): what an app that never asked for telemetry
    pays for it.
    """
    mocks = (
        MockArqQueue(default_queue_name=QUEUE, telemetry=False),
        MockArqQueue(default_queue_name=QUEUE),
    )
    rows: list[Row] = []
    for implementation, (off, on) in (
        (OURS, (ctx.ours_untraced, ctx.ours)),
        (MOCK, mocks),
    ):
        without, with_telemetry = TELEMETRY_PAIRS[implementation]
        rows += await _alternating(
            ctx,
            TELEMETRY,
            [
                (without, functools.partial(off.enqueue, "noop")),
                (with_telemetry, functools.partial(on.enqueue, "noop")),
            ],
        )
    return rows


async def _alternating(
    ctx: Context, operation: str, calls: list[tuple[str, Callable[[], Awaitable[Any]]]]
) -> list[Row]:
    """Two calls alternating (in alternating order), each pair under the
    same load, after a warm-up; a row each, rated from its latencies."""
    latencies: dict[str, list[float]] = {name: [] for name, _ in calls}
    clock = time.perf_counter
    for index in range(BY_TASK_WARMUP + ctx.sizes.calls):
        for name, call in calls if index % 2 == 0 else reversed(calls):
            began = clock()
            await call()
            if index >= BY_TASK_WARMUP:
                latencies[name].append(clock() - began)
    return [
        _latency_row(operation, name, values, ctx.sizes.rounds)
        for name, values in latencies.items()
    ]


def _latency_row(
    operation: str, implementation: str, latencies: list[float], rounds: int
) -> Row:
    per_round = max(1, len(latencies) // rounds)
    chunks = [latencies[i : i + per_round] for i in range(0, len(latencies), per_round)]
    return Row(
        operation=operation,
        implementation=implementation,
        mode=SEQUENTIAL,
        calls=len(latencies),
        ops_per_s=len(latencies) / sum(latencies),
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        note="calls alternate with the other row's; rate: all calls",
        round_rates=[len(chunk) / sum(chunk) for chunk in chunks],
    )


async def bench_metadata(ctx: Context) -> list[Row]:
    """Read queued jobs' metadata."""
    pick = _picker(await _queued_ids(ctx, ctx.sizes.jobs_read))
    mock = MockArqQueue(default_queue_name=QUEUE)
    mock_pick = _picker(
        [(await mock.enqueue("noop")).id for _ in range(ctx.sizes.jobs_read)]
    )

    def status(index: int) -> Any:
        return Job(pick(index), ctx.pool, _queue_name=QUEUE).status()

    cases = [
        Case(OURS, lambda i: ctx.ours.get_job_metadata(pick(i))),
        Case(
            OURS_UNTIMED,
            lambda i: ctx.ours_untimed.get_job_metadata(pick(i)),
            note=UNTIMED_NOTE,
        ),
        Case(BASELINE_METADATA, lambda i: ctx.baseline.get_job_metadata(pick(i))),
        Case(RAW_STATUS, status, note="status only, no metadata"),
        Case(MOCK, lambda i: mock.get_job_metadata(mock_pick(i))),
        await _limit_case(ctx),
    ]
    return await _both_modes(ctx, METADATA, cases)


async def bench_reads(ctx: Context) -> list[Row]:
    """The same four reads of a queued job: one script call vs pipelines."""
    pick = _picker(await _queued_ids(ctx, ctx.sizes.jobs_read))
    pool = ctx.pool

    def keys(job_id: str) -> list[str]:
        return [
            result_key_prefix + job_id,
            job_key_prefix + job_id,
            in_progress_key_prefix + job_id,
            QUEUE,
        ]

    async def script(index: int) -> Any:
        reply = pool.evalsha(_READ.sha, 1, QUEUE, pick(index))
        return await reply  # type: ignore[misc]

    async def pipelined(index: int, *, transaction: bool) -> Any:
        job_id = pick(index)
        result, job, in_progress, queue = keys(job_id)
        async with pool.pipeline(transaction=transaction) as pipe:
            pipe.get(result)
            pipe.get(job)
            pipe.zscore(queue, job_id)
            pipe.exists(in_progress)
            return await pipe.execute()

    cases = [
        Case(READ_SCRIPT, script),
        Case(READ_MULTI, lambda i: pipelined(i, transaction=True)),
        Case(READ_PIPELINE, lambda i: pipelined(i, transaction=False)),
        Case(READ_GET, lambda i: pool.get(job_key_prefix + pick(i))),
    ]
    return await _both_modes(ctx, READS, cases)


async def bench_results(ctx: Context) -> list[Row]:
    """Read results that a real arq worker (in burst mode) wrote."""
    ids = await _queued_ids(ctx, ctx.sizes.jobs_read, task="echo")
    await asyncio.to_thread(
        processes.run_burst_worker,
        ctx.placement,
        ctx.server_url,
        QUEUE,
        poll_delay=0.01,
        max_jobs=100,
    )
    pick = _picker(ids)
    mock = MockArqQueue(default_queue_name=QUEUE)
    mock_ids = []
    for n in range(ctx.sizes.jobs_read):
        job_id = (await mock.enqueue("echo", n)).id
        await mock.set_complete(job_id, result=n)
        mock_ids.append(job_id)
    mock_pick = _picker(mock_ids)

    def result_info(index: int) -> Any:
        return Job(pick(index), ctx.pool, _queue_name=QUEUE).result_info()

    cases = [
        Case(OURS, lambda i: ctx.ours.get_job_result(pick(i))),
        Case(
            OURS_UNTIMED,
            lambda i: ctx.ours_untimed.get_job_result(pick(i)),
            note=UNTIMED_NOTE,
        ),
        Case(BASELINE_RESULT, lambda i: ctx.baseline.get_job_result(pick(i))),
        Case(RAW_RESULT, result_info, note="result only, no status"),
        Case(MOCK, lambda i: mock.get_job_result(mock_pick(i))),
        await _limit_case(ctx),
    ]
    return await _both_modes(ctx, RESULT, cases)


async def bench_batches(ctx: Context) -> list[Row]:
    """Batches of no-op jobs, in rounds with redis-benchmark on the same server.

    Each round runs redis-benchmark (SET and ZADD, plain and pipelined,
    one connection: the server's limit) and then two batches each for
    `RedisArqQueue` and `MockArqQueue`, so the batch and its limit are
    measured side by side. A batch's rate is in jobs per second.
    """
    count = ctx.sizes.batch_jobs
    mock = MockArqQueue(default_queue_name=QUEUE)
    specs = [JobSpec("noop") for _ in range(count)]
    binary = processes.redis_benchmark_binary()
    tests = [
        (test, pipeline)
        for test in ("set", "zadd")
        for pipeline in (1, 16)
        if binary is not None
    ]
    limits: dict[tuple[str, int], list[processes.RedisBenchmarkResult]] = {
        test: [] for test in tests
    }
    rows: list[Row] = []
    server_us: list[float] = []
    await ctx.ours.enqueue_many(specs[:100])
    await mock.enqueue_many(specs[:100])
    for _ in range(ctx.sizes.batch_rounds):
        for test, pipeline in tests:
            assert binary is not None  # noqa: S101 - tests is empty without it
            limits[test, pipeline].append(
                await asyncio.to_thread(
                    processes.run_redis_benchmark,
                    ctx.placement,
                    binary,
                    ctx.server_port,
                    test=test,
                    requests=ctx.sizes.redis_benchmark_pipelined
                    if pipeline > 1
                    else ctx.sizes.redis_benchmark_plain,
                    pipeline=pipeline,
                )
            )
        await ctx.pool.flushdb()
        await ctx.pool.config_resetstat()
        rows += await measure(
            enqueue_many_operation(count),
            [
                Case(OURS, lambda _: ctx.ours.enqueue_many(specs)),
                Case(MOCK, lambda _: mock.enqueue_many(specs)),
            ],
            mode=BATCH,
            calls=2,
            rounds=2,
            warmup=0,
        )
        stats = await ctx.pool.info("commandstats")
        server_us.append(stats["cmdstat_evalsha"]["usec"] / count / 2)
    batches = _merge_rounds(rows, count)
    batches[0].note += (
        f"; Redis itself spent {min(server_us):.2f} us a job in the script "
        "(INFO commandstats, best round)"
    )
    return [*_limit_rows(limits), *batches]


def _merge_rounds(rows: list[Row], jobs: int) -> list[Row]:
    """One row per implementation from the rounds' rows, rates in jobs/s.

    A round's rate is its best batch's, so that it pairs with the round's
    redis-benchmark figure; latencies are over every batch.
    """
    merged: list[Row] = []
    for name in dict.fromkeys(row.implementation for row in rows):
        mine = [row for row in rows if row.implementation == name]
        seconds = sorted(1 / rate for row in mine for rate in row.round_rates)
        merged.append(
            Row(
                operation=mine[0].operation,
                implementation=name,
                mode=BATCH,
                calls=len(seconds),
                ops_per_s=jobs / seconds[0],
                p50_ms=statistics.median(seconds) * 1000,
                p99_ms=seconds[-1] * 1000,
                unit="jobs",
                note=f"latency: per batch of {jobs:,} (p99 column: slowest)",
                round_rates=[jobs * max(row.round_rates) for row in mine],
            )
        )
    return merged


def _limit_rows(
    limits: dict[tuple[str, int], list[processes.RedisBenchmarkResult]],
) -> list[Row]:
    rows = []
    for (test, pipeline), results in limits.items():
        rows.append(
            Row(
                operation=REDIS_SET if test == "set" else REDIS_ZADD,
                implementation=f"redis-benchmark -c 1 -P {pipeline}",
                mode=PIPELINED if pipeline > 1 else SEQUENTIAL,
                calls=sum(result.requests for result in results),
                ops_per_s=max(result.rps for result in results),
                p50_ms=statistics.median(result.p50_ms for result in results),
                p99_ms=statistics.median(result.p99_ms for result in results),
                note="latency: per pipeline of 16" if pipeline > 1 else "",
                round_rates=[result.rps for result in results],
            )
        )
    return rows


async def bench_proxied(ctx: Context) -> list[Row]:
    """Enqueue through a proxy that adds 1 ms to every round trip."""
    with processes.latency_proxy(ctx.placement, ctx.server_port, 1.0) as port:
        url = f"redis://127.0.0.1:{port}/0"
        ours = await RedisArqQueue.from_url(url, default_queue_name=QUEUE)
        pool = await create_pool(
            build_arq_redis_settings(url), default_queue_name=QUEUE
        )
        baseline = SafirStyleQueue(pool, QUEUE)
        try:
            return await measure(
                PROXIED,
                [
                    Case(OURS, lambda _: ours.enqueue("noop")),
                    Case(BASELINE, lambda _: baseline.enqueue("noop")),
                    Case(PROXIED_PING, lambda _: pool.ping()),
                ],
                mode=SEQUENTIAL,
                calls=ctx.sizes.proxied_calls,
                rounds=ctx.sizes.rounds,
                warmup=5,
            )
        finally:
            await ours.aclose()
            await pool.aclose()


async def bench_end_to_end(ctx: Context) -> list[Row]:
    """Enqueue N no-op jobs at once; time until a real arq worker drained them."""
    rows: list[Row] = []
    queue = RedisArqQueue(ctx.ours.pool, default_queue_name=E2E_QUEUE)
    for label, poll_delay, max_jobs in WORKER_CONFIGS:
        count = (
            ctx.sizes.e2e_default_jobs
            if poll_delay >= 0.5
            else ctx.sizes.e2e_tuned_jobs
        )
        with processes.running_worker(
            ctx.placement,
            ctx.server_url,
            E2E_QUEUE,
            poll_delay=poll_delay,
            max_jobs=max_jobs,
        ):
            began = time.perf_counter()
            outcomes = await queue.enqueue_many(JobSpec("noop") for _ in range(count))
            while await queue.queue_depth():  # noqa: ASYNC110 - polls Redis
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - began
        ids = [job.id for job in outcomes if isinstance(job, JobMetadata)]
        latencies = sorted(await _job_latencies(queue, ids))
        rows.append(
            Row(
                operation=END_TO_END,
                implementation=(
                    f"arq worker, {label}: poll_delay={poll_delay}, max_jobs={max_jobs}"
                ),
                mode=BATCH,
                calls=count,
                ops_per_s=count / elapsed,
                p50_ms=statistics.median(latencies),
                p99_ms=percentile(latencies, 0.99),
                unit="jobs",
                note="latency: enqueue to finish, per job",
            )
        )
    return rows


async def _job_latencies(queue: RedisArqQueue, ids: list[str]) -> list[float]:
    semaphore = asyncio.Semaphore(IN_FLIGHT)

    async def one(job_id: str) -> float:
        async with semaphore:
            result = await queue.get_job_result(job_id)
        return (result.finish_time - result.enqueue_time).total_seconds() * 1000

    return list(await asyncio.gather(*(one(job_id) for job_id in ids)))
