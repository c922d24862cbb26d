"""The in-memory queue for tests, faithful to what arq does with Redis."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, JobStatus, Serializer, serialize_result
from arq.utils import timestamp_ms, to_unix_ms
from typing_extensions import override

from ._exceptions import (
    JobDeserializationError,
    JobNotFound,
    JobNotQueued,
    JobResultUnavailable,
    JobSerializationError,
)
from ._jobs import JobCodec, PlannedJob, job_status
from ._models import JobMetadata, JobResult
from ._queue import ArqQueue

__all__ = ["MockArqQueue"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class _StoredJob:
    """What Redis would hold for one job: payloads, never live objects."""

    job_id: str
    queue_name: str
    payload: bytes
    score: int
    in_progress: bool = False
    start_ms: int | None = None
    result: bytes | None = None

    @property
    def status(self) -> JobStatus:
        return job_status(
            has_result=self.result is not None,
            in_progress=self.in_progress,
            score=self.score,
        )


class MockArqQueue(ArqQueue):
    """An in-memory queue for testing apps without Redis or workers.

    Jobs never run by themselves: a test moves them along with
    `set_in_progress` and `set_complete`. Arguments and results are stored
    serialized, with the serializer production uses (pickle unless
    configured), so a test fails on an argument production could not send,
    and every value read back is a fresh copy.

    Args:
        default_queue_name: Queue used when a call names none.
        job_serializer: Serializer, as for arq's `create_pool`.
        job_deserializer: Deserializer, as for arq's `create_pool`.
    """

    def __init__(
        self,
        *,
        default_queue_name: str = arq_default_queue_name,
        job_serializer: Serializer | None = None,
        job_deserializer: Deserializer | None = None,
    ) -> None:
        super().__init__(default_queue_name=default_queue_name)
        self._codec = JobCodec(job_serializer, job_deserializer)
        self._jobs: dict[str, _StoredJob] = {}

    @override
    async def _store(self, planned: PlannedJob) -> JobMetadata:
        return self._insert(planned)

    @override
    async def _store_many(
        self, jobs: list[PlannedJob]
    ) -> list[JobMetadata | JobNotQueued]:
        outcomes: list[JobMetadata | JobNotQueued] = []
        for job in jobs:
            try:
                outcomes.append(self._insert(job))
            except JobNotQueued as exc:
                outcomes.append(exc)
        return outcomes

    def _insert(self, planned: PlannedJob) -> JobMetadata:
        if planned.job_id in self._jobs:
            raise JobNotQueued(planned.job_id)
        self._jobs[planned.job_id] = _StoredJob(
            job_id=planned.job_id,
            queue_name=planned.queue_name,
            payload=planned.payload,
            score=planned.score,
        )
        return planned.metadata(self._codec)

    def _find(self, job_id: str, queue_name: str | None) -> _StoredJob:
        job = self._jobs.get(job_id)
        if job is None or job.queue_name != self._resolve_queue_name(queue_name):
            raise JobNotFound(job_id)
        return job

    def _snapshot(self, job: _StoredJob) -> JobMetadata:
        if job.result is not None:
            done = self._codec.decode_result(job.job_id, job.result)
            return self._codec.metadata(
                job.job_id, done, JobStatus.complete, job.queue_name
            )
        info = self._codec.decode_job(job.job_id, job.payload)
        return self._codec.metadata(job.job_id, info, job.status, job.queue_name)

    def _result_snapshot(self, job: _StoredJob) -> JobResult:
        if job.result is None:
            raise JobResultUnavailable(job.job_id)
        info = self._codec.decode_result(job.job_id, job.result)
        return self._codec.result(job.job_id, info, job.queue_name)

    @override
    async def get_job_metadata(
        self, job_id: str, queue_name: str | None = None
    ) -> JobMetadata:
        return self._snapshot(self._find(job_id, queue_name))

    @override
    async def _get_job_result(self, job_id: str, queue_name: str | None) -> JobResult:
        return self._result_snapshot(self._find(job_id, queue_name))

    @override
    async def abort_job(
        self,
        job_id: str,
        queue_name: str | None = None,
        *,
        timeout: float | None = None,
    ) -> bool:
        try:
            job = self._find(job_id, queue_name)
        except JobNotFound:
            return False
        if job.result is not None:
            return False
        self._finish(job, result=asyncio.CancelledError(), success=False)
        return True

    @override
    async def list_jobs(
        self,
        queue_name: str | None = None,
        *,
        status: JobStatus | None = None,
        limit: int | None = None,
    ) -> list[JobMetadata]:
        name = self._resolve_queue_name(queue_name)
        pending = sorted(
            (
                j
                for j in self._jobs.values()
                if j.queue_name == name and j.result is None
            ),
            key=lambda j: (j.score, j.job_id),
        )
        if limit is not None:
            pending = pending[: max(limit, 0)]
        listed: list[JobMetadata] = []
        for job in pending:
            try:
                metadata = self._snapshot(job)
            except JobDeserializationError:
                logger.warning("Skipping unreadable job %s in %s", job.job_id, name)
                continue
            if status is None or metadata.status == status:
                listed.append(metadata)
        return listed

    @override
    async def queue_depth(self, queue_name: str | None = None) -> int:
        name = self._resolve_queue_name(queue_name)
        return sum(
            1 for j in self._jobs.values() if j.queue_name == name and j.result is None
        )

    @override
    async def ping(self) -> bool:
        return True

    @override
    async def aclose(self) -> None:
        """Nothing to release: the jobs stay readable for assertions."""

    def jobs(
        self,
        *,
        queue_name: str | None = None,
        name: str | None = None,
        status: JobStatus | None = None,
    ) -> list[JobMetadata]:
        """Every job the mock holds, finished ones included, for assertions.

        Args:
            queue_name: Only jobs in this queue (default: every queue).
            name: Only jobs of this task.
            status: Only jobs with this status.
        """
        found: list[JobMetadata] = []
        for job in self._jobs.values():
            if queue_name is not None and job.queue_name != queue_name:
                continue
            metadata = self._snapshot(job)
            if name is not None and metadata.name != name:
                continue
            if status is not None and metadata.status != status:
                continue
            found.append(metadata)
        return found

    async def set_in_progress(self, job_id: str, queue_name: str | None = None) -> None:
        """Mark a job as taken by a worker, dropping any result it had.

        Raises:
            JobNotFound: No job with this id is in this queue.
        """
        job = self._find(job_id, queue_name)
        job.in_progress = True
        job.start_ms = timestamp_ms()
        job.result = None

    async def set_complete(
        self,
        job_id: str,
        *,
        result: Any,
        success: bool = True,
        queue_name: str | None = None,
    ) -> None:
        """Finish a job with a result, as a worker would.

        The result is serialized as the worker would serialize it: a result
        the serializer refuses is replaced by arq's "unable to serialize
        result" failure, exactly as in production.

        Raises:
            JobNotFound: No job with this id is in this queue.
        """
        self._finish(self._find(job_id, queue_name), result=result, success=success)

    def _finish(self, job: _StoredJob, *, result: Any, success: bool) -> None:
        info = self._codec.decode_job(job.job_id, job.payload)
        finish_ms = timestamp_ms()
        payload = serialize_result(
            info.function,
            info.args,
            info.kwargs,
            info.job_try or 1,
            to_unix_ms(info.enqueue_time),
            success,
            result,
            job.start_ms if job.start_ms is not None else finish_ms,
            finish_ms,
            f"{job.job_id}:{info.function}",
            job.queue_name,
            job.job_id,
            serializer=self._codec.serializer,
        )
        if payload is None:
            msg = f"Job result cannot be serialized, even as a failure. id={job.job_id}"
            raise JobSerializationError(msg, job.job_id)
        job.result = payload
        job.in_progress = False
