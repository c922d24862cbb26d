"""The service's request and response bodies, shared with the Litestar example."""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, HttpUrl, RootModel

from queue_core import ArqQueue, JobMetadata, JobResult, JobStatus

from .worker.functions import check_url, count_words

__all__ = [
    "CheckUrlRequest",
    "CountWordsRequest",
    "JobRequest",
    "JobResponse",
]


class CountWordsRequest(BaseModel):
    """Count the words of a text."""

    task: Literal["count_words"]
    text: str


class CheckUrlRequest(BaseModel):
    """Fetch a URL and report its HTTP status."""

    task: Literal["check_url"]
    url: HttpUrl


class JobRequest(
    RootModel[
        Annotated[CountWordsRequest | CheckUrlRequest, Field(discriminator="task")]
    ]
):
    """A request to run a job; ``task`` names the worker function.

    One model rather than a bare union, so any framework can take it as a body.
    """

    async def enqueue(self, queue: ArqQueue) -> JobMetadata:
        """Queue the requested task, its arguments checked by the type checker."""
        match self.root:
            case CountWordsRequest(text=text):
                return await queue.enqueue(count_words, text=text)
            case CheckUrlRequest(url=url):
                return await queue.enqueue(check_url, url=str(url))


class JobResponse(BaseModel):
    """A job's status and, once it has finished, its outcome."""

    id: str
    task: str
    status: JobStatus
    queued_at: datetime
    success: bool | None = None
    result: Any = None
    error: str | None = None

    @classmethod
    def from_metadata(cls, job: JobMetadata) -> Self:
        """Describe an unfinished job."""
        return cls(
            id=job.id, task=job.name, status=job.status, queued_at=job.enqueue_time
        )

    @classmethod
    def from_result(cls, job: JobResult) -> Self:
        """Describe a finished job: its return value or the error it raised."""
        return cls(
            id=job.id,
            task=job.name,
            status=job.status,
            queued_at=job.enqueue_time,
            success=job.success,
            result=job.result if job.success else None,
            error=None if job.success else repr(job.result),
        )
