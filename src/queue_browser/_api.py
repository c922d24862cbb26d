"""The browser's JSON API, and the reads and checks the page shares with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

from arq.jobs import JobStatus
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from queue_core import (
    ArqQueue,
    JobDeserializationError,
    JobMetadata,
    JobNotFound,
    JobResultUnavailable,
    QueueCounts,
    WorkerInfo,
)

from ._display import DepthHistory, JobRow, worker_document

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "RUNNING_WINDOW",
    "SCOPE_KEY",
    "STATUSES",
    "Browsing",
    "BrowsingError",
    "abort",
    "api_abort",
    "api_job",
    "api_jobs",
    "api_queues",
    "api_retry",
    "api_workers",
    "browsing",
    "error_response",
    "listing_options",
    "retry",
    "same_origin",
]

SCOPE_KEY: Final = "queue_browser"
"""Where `JobBrowser` puts the request's `Browsing` in the ASGI scope."""

DEFAULT_LIMIT: Final = 100
"""Jobs listed when a request names no limit."""

MAX_LIMIT: Final = 500
"""Most jobs one listing returns; a larger ``limit`` is lowered to it."""

RUNNING_WINDOW: Final = 500
"""Jobs from the front of a queue among which running ones are listed: where
arq's workers take jobs from, as `ArqQueue.count_jobs` counts them."""

STATUSES: Final = tuple(
    status.value for status in JobStatus if status is not JobStatus.not_found
)
"""Status names a listing filters by: arq's, less ``not_found``."""


class BrowsingError(Exception):
    """A request the browser refuses, with its HTTP status."""

    def __init__(self, status_code: int, detail: str) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


@dataclass(frozen=True)
class Browsing:
    """What a request to the browser works with."""

    queue: ArqQueue
    queue_names: tuple[str, ...]
    allow_abort: bool
    title: str
    history: DepthHistory
    allow_retry: bool = False

    def queue_name(self, request: Request) -> str:
        """The ``queue`` the request names (default: the first shown)."""
        name = request.query_params.get("queue", self.queue_names[0])
        if name not in self.queue_names:
            raise BrowsingError(404, "unknown queue")
        return name

    async def counts(self) -> list[QueueCounts]:
        """Every shown queue's counts, sampled for the depth chart."""
        counts = [await self.queue.count_jobs(name) for name in self.queue_names]
        self.history.record(counts)
        return counts

    async def jobs(
        self, queue_name: str, status: str | None, limit: int, cursor: str | None
    ) -> tuple[list[JobRow], str | None]:
        """A listing's rows, and the cursor of the next page of finished jobs.

        Reads a bounded number of jobs whatever the queue's length: at most
        ``limit`` from the front of the queue, or for a status filter from
        where that status lives: deferred jobs at the end, queued ones at
        the front after the running ones, running ones among the first
        `RUNNING_WINDOW`.
        """
        queue = self.queue
        if status == JobStatus.complete:
            try:
                page = await queue.list_results(queue_name, limit=limit, cursor=cursor)
            except ValueError as exc:
                raise BrowsingError(400, str(exc)) from exc
            done = sorted(page.results, key=lambda job: job.finish_time, reverse=True)
            return [JobRow.of(job) for job in done], page.cursor
        if status is None:
            skipped: list[str] = []
            listed = await queue.list_jobs(queue_name, limit=limit, skipped=skipped)
            rows = [JobRow.of(job) for job in listed]
            return rows + [JobRow.unreadable(job_id) for job_id in skipped], None
        counts = await queue.count_jobs(queue_name)
        if status == JobStatus.deferred:
            offset, window = counts.depth - counts.deferred, limit
        elif status == JobStatus.in_progress:
            offset, window = 0, max(limit, RUNNING_WINDOW)
        else:
            offset, window = 0, limit + counts.in_progress
        listed = await queue.list_jobs(
            queue_name, status=JobStatus(status), limit=window, offset=offset
        )
        return [JobRow.of(job) for job in listed[:limit]], None

    async def job(self, job_id: str, queue_name: str) -> JobRow:
        """One job, with its result if it has finished.

        Raises:
            BrowsingError: No such job (404).
        """
        try:
            for _ in range(2):
                try:
                    return JobRow.of(
                        await self.queue.get_job_result(job_id, queue_name)
                    )
                except JobResultUnavailable:
                    metadata = await self.queue.get_job_metadata(job_id, queue_name)
                if metadata.status is not JobStatus.complete:
                    break
                # It finished between the two reads: read its result again.
            return JobRow.of(metadata)
        except JobNotFound:
            raise BrowsingError(404, "job not found") from None
        except JobDeserializationError:
            return JobRow.unreadable(job_id)

    async def workers(self, queue_name: str) -> list[WorkerInfo]:
        """The workers serving a queue."""
        return await self.queue.list_workers(queue_name)


def browsing(request: Request) -> Browsing:
    """The `Browsing` that `JobBrowser` attached to this request."""
    found: Browsing = request.scope[SCOPE_KEY]
    return found


def listing_options(request: Request) -> tuple[str | None, int, str | None]:
    """A listing's ``status``, ``limit`` and ``cursor``, checked."""
    params = request.query_params
    status = params.get("status") or None
    if status is not None and status not in STATUSES:
        raise BrowsingError(400, f"status must be one of {', '.join(STATUSES)}")
    try:
        limit = int(params.get("limit", DEFAULT_LIMIT))
    except ValueError:
        limit = 0
    if limit < 1:
        raise BrowsingError(400, "limit must be a positive whole number")
    return status, min(limit, MAX_LIMIT), params.get("cursor") or None


def same_origin(request: Request) -> bool:
    """Whether a request may change something: no ``Origin``, or our own.

    Browsers send ``Origin`` with every cross-site POST, so a page on
    another site cannot make a visitor's browser abort jobs; scripts and
    curl send none and are served.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = f"{request.url.scheme}://{request.url.netloc}"
    return origin.lower() == own.lower()


async def abort(request: Request) -> tuple[Browsing, str, str, bool]:
    """Check an abort request and ask the worker to abort the job.

    Returns:
        The browsing, the job's id and queue, and whether the abort was
        requested (`False`: the job had finished).

    Raises:
        BrowsingError: Aborting is not allowed here (403), or the request
            came from another origin (403), or no such job (404).
    """
    found = browsing(request)
    _may_change(request, found.allow_abort, "aborting")
    queue_name = found.queue_name(request)
    job_id: str = request.path_params["job_id"]
    if await found.queue.request_abort(job_id, queue_name):
        return found, job_id, queue_name, True
    await found.job(job_id, queue_name)  # 404 if there is no such job
    return found, job_id, queue_name, False


def _may_change(request: Request, allowed: bool, what: str) -> None:
    """Refuse (403) a change where ``what`` is not allowed, or cross-origin."""
    if not allowed:
        raise BrowsingError(403, f"{what} jobs is not allowed here")
    if not same_origin(request):
        raise BrowsingError(403, "cross-origin request refused")


async def retry(request: Request) -> tuple[str, JobMetadata]:
    """Check a retry request and enqueue the finished job again.

    Returns:
        The finished job's id, and the new job.

    Raises:
        BrowsingError: Retrying is not allowed here (403), or the request
            came from another origin (403), no such job (404), or it has
            not finished (409).
    """
    found = browsing(request)
    _may_change(request, found.allow_retry, "retrying")
    queue_name = found.queue_name(request)
    job_id: str = request.path_params["job_id"]
    try:
        return job_id, await found.queue.retry_job(job_id, queue_name)
    except JobNotFound:
        raise BrowsingError(404, "job not found") from None
    except JobResultUnavailable:
        raise BrowsingError(409, "the job has not finished") from None


def error_response(error: BrowsingError) -> Response:
    """The JSON answer to a refused request."""
    return JSONResponse({"detail": error.detail}, status_code=error.status_code)


async def api_queues(request: Request) -> Response:
    """``GET api/queues``: each shown queue's depth, running and deferred jobs."""
    counts = await browsing(request).counts()
    return JSONResponse(
        [
            {
                "name": count.queue_name,
                "depth": count.depth,
                "in_progress": count.in_progress,
                "deferred": count.deferred,
            }
            for count in counts
        ]
    )


async def api_jobs(request: Request) -> Response:
    """``GET api/jobs?queue=Q&status=S&limit=N``: a page of a queue's jobs.

    With ``status=complete`` the page may be followed: the ``Link`` header
    names the next one (``rel="next"``).
    """
    found = browsing(request)
    queue_name = found.queue_name(request)
    status, limit, cursor = listing_options(request)
    rows, following = await found.jobs(queue_name, status, limit, cursor)
    headers: dict[str, Any] = {}
    if following is not None:
        query = urlencode(
            {"queue": queue_name, "status": status, "limit": limit, "cursor": following}
        )
        headers["Link"] = f'<?{query}>; rel="next"'
    return JSONResponse({"jobs": [row.summary() for row in rows]}, headers=headers)


async def api_job(request: Request) -> Response:
    """``GET api/jobs/{job_id}?queue=Q``: one job, with its result if finished."""
    found = browsing(request)
    row = await found.job(request.path_params["job_id"], found.queue_name(request))
    return JSONResponse(row.detail())


async def api_abort(request: Request) -> Response:
    """``POST api/jobs/{job_id}/abort?queue=Q``: ask the worker to abort the job."""
    _, job_id, _, requested = await abort(request)
    return JSONResponse(
        {"id": job_id, "abort_requested": requested},
        status_code=202 if requested else 200,
    )


async def api_retry(request: Request) -> Response:
    """``POST api/jobs/{job_id}/retry?queue=Q``: run a finished job again.

    Answers 201 with the new job's summary and ``retry_of``, the old id.
    """
    job_id, job = await retry(request)
    return JSONResponse(
        {**JobRow.of(job).summary(), "retry_of": job_id}, status_code=201
    )


async def api_workers(request: Request) -> Response:
    """``GET api/workers?queue=Q``: the workers serving a queue, oldest first."""
    found = browsing(request)
    queue_name = found.queue_name(request)
    listed = await found.workers(queue_name)
    return JSONResponse(
        {"queue_name": queue_name, "workers": [worker_document(w) for w in listed]}
    )
