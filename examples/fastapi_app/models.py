"""The service's request and response bodies, shared with the Litestar example."""

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, Field, HttpUrl, RootModel

from queue_core import JobMetadata, JobResult, JobStatus

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

    @property
    def task(self) -> str:
        """The worker function to run."""
        return self.root.task

    def task_arguments(self) -> dict[str, Any]:
        """The task's keyword arguments, as plain JSON values for any serializer."""
        return self.root.model_dump(mode="json", exclude={"task"})


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
