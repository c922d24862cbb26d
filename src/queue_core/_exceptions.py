"""Exceptions raised by queue clients, and the command line's exit codes.

Messages match safir.arq's. `ExitCode` lives here, not in the command line,
so that scripts (and `queue_core`) read it without loading the command line.
"""

from __future__ import annotations

import enum

from arq.jobs import DeserializationError, SerializationError

__all__ = [
    "ArqJobError",
    "ExitCode",
    "JobDeserializationError",
    "JobNotFound",
    "JobNotQueued",
    "JobResultUnavailable",
    "JobSerializationError",
]


class ArqJobError(Exception):
    """Base class for errors about one arq job."""

    def __init__(self, message: str, job_id: str | None) -> None:
        super().__init__(message)
        self._job_id = job_id

    @property
    def job_id(self) -> str | None:
        """The job's id, or `None` where it is not known."""
        return self._job_id


class JobNotQueued(ArqJobError):
    """The job was not queued because a job with its id already exists."""

    def __init__(self, job_id: str | None) -> None:
        super().__init__(
            f"Job was not queued because it already exists. id={job_id}", job_id
        )


class JobNotFound(ArqJobError):
    """No job with this id exists in the queue."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job could not be found. id={job_id}", job_id)


class JobResultUnavailable(ArqJobError):
    """The job exists but has no result (yet, or any more)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job result could not be found. id={job_id}", job_id)


class JobSerializationError(ArqJobError, SerializationError):
    """A job's arguments cannot be serialized; nothing was written.

    Also an `arq.jobs.SerializationError`, so code that catches arq's own
    exception keeps working.
    """

    def __init__(self, message: str, job_id: str | None = None) -> None:
        super().__init__(message, job_id)


class JobDeserializationError(ArqJobError, DeserializationError):
    """A stored job or result payload cannot be deserialized.

    Raised when the payload was written by something else or with another
    serializer; other jobs are unaffected.
    """

    def __init__(self, job_id: str, cause: BaseException) -> None:
        cause_text = str(cause.__cause__ or cause)
        super().__init__(
            f"Job data could not be deserialized. id={job_id}: "
            f"{type(cause.__cause__ or cause).__name__}: {cause_text}",
            job_id,
        )


class ExitCode(enum.IntEnum):
    """The command's exit statuses, as docs/cli.md lists them."""

    OK = 0
    """The command did what it was asked."""

    FAILURE = 1
    """Anything else went wrong; the message says what."""

    USAGE = 2
    """The command line is wrong (click's own status)."""

    JOB_NOT_FOUND = 3
    """No job with this id is in the queue."""

    RESULT_UNAVAILABLE = 4
    """The job has not finished, or did not within ``--wait``."""

    CONNECTION = 5
    """Redis is unreachable, misconfigured (URL, password, serializer), or not Redis."""

    UNKNOWN_TASK = 6
    """``enqueue --worker-settings``: the settings do not register the task."""
