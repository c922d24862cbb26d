"""The baseline: the arq calls safir.arq's RedisArqQueue makes, one by one.

Written from arq's public API to make exactly the calls safir.arq makes:
`ArqRedis.enqueue_job` then `Job.info()` and `Job.status()` to enqueue and
read metadata, plus `Job.result_info()` to read a result.
"""

from __future__ import annotations

from typing import Any

from arq.connections import ArqRedis
from arq.jobs import Job, JobStatus

from queue_core import (
    JobMetadata,
    JobNotFound,
    JobNotQueued,
    JobResult,
    JobResultUnavailable,
)


class SafirStyleQueue:
    """What safir.arq's `RedisArqQueue` does, for comparison."""

    def __init__(self, pool: ArqRedis, queue_name: str) -> None:
        self._pool = pool
        self._queue_name = queue_name

    def _job(self, job_id: str) -> Job:
        return Job(
            job_id,
            self._pool,
            _queue_name=self._queue_name,
            _deserializer=self._pool.job_deserializer,
        )

    async def _metadata(self, job: Job) -> JobMetadata:
        info = await job.info()
        if info is None:
            raise JobNotFound(job.job_id)
        status = await job.status()
        if status == JobStatus.not_found:
            raise JobNotFound(job.job_id)
        return JobMetadata(
            id=job.job_id,
            name=info.function,
            args=info.args,
            kwargs=info.kwargs,
            enqueue_time=info.enqueue_time,
            status=status,
            queue_name=self._queue_name,
        )

    async def enqueue(self, task_name: str, *args: Any, **kwargs: Any) -> JobMetadata:
        """`enqueue_job`, then `Job.info()` and `Job.status()`."""
        job = await self._pool.enqueue_job(
            task_name, *args, _queue_name=self._queue_name, **kwargs
        )
        if job is None:
            raise JobNotQueued(None)
        return await self._metadata(job)

    async def get_job_metadata(self, job_id: str) -> JobMetadata:
        """`Job.info()` and `Job.status()`."""
        return await self._metadata(self._job(job_id))

    async def get_job_result(self, job_id: str) -> JobResult:
        """`Job.info()`, `Job.status()` and `Job.result_info()`."""
        job = self._job(job_id)
        metadata = await self._metadata(job)
        result = await job.result_info()
        if result is None:
            raise JobResultUnavailable(job_id)
        return JobResult(
            id=metadata.id,
            name=metadata.name,
            args=metadata.args,
            kwargs=metadata.kwargs,
            enqueue_time=metadata.enqueue_time,
            status=metadata.status,
            queue_name=result.queue_name,
            start_time=result.start_time,
            finish_time=result.finish_time,
            success=result.success,
            result=result.result,
        )
