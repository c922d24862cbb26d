"""`JobBrowser`: one ASGI app, the page and its JSON API, over any `ArqQueue`."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, Self
from urllib.parse import quote, urlencode

import jinja2
from redis.exceptions import RedisError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from queue_core import ArqQueue

from ._api import (
    SCOPE_KEY,
    STATUSES,
    Browsing,
    BrowsingError,
    abort,
    api_abort,
    api_job,
    api_jobs,
    api_queues,
    api_retry,
    api_workers,
    browsing,
    error_response,
    listing_options,
    retry,
)
from ._display import DISPLAY_LIMIT, TRACEBACK_DISPLAY_LIMIT, DepthHistory

__all__ = ["STATE_KEY", "JobBrowser"]

logger = logging.getLogger(__name__)

STATE_KEY: Final = "arq_queue"
"""Where the shims keep the app's queue: ``app.state.arq_queue``."""

REFRESH_SECONDS: Final = 10
"""How often the page reloads itself while "auto-refresh" is ticked."""

_CHART: Final = {"width": 300, "height": 44}

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("queue_browser", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _link(path: str, **query: str | None) -> str:
    """A relative link, its query holding the given non-empty values."""
    kept = {name: value for name, value in query.items() if value}
    return f"{path}?{urlencode(kept)}" if kept else path


_TEMPLATES.filters["when"] = _when
_TEMPLATES.globals.update(
    link=_link,
    quote=lambda text: quote(text, safe=""),
    statuses=STATUSES,
    display_limit=DISPLAY_LIMIT,
    traceback_display_limit=TRACEBACK_DISPLAY_LIMIT,
    refresh_seconds=REFRESH_SECONDS,
    chart=_CHART,
)


def _render(
    request: Request, template: str, status_code: int = 200, **values: Any
) -> Response:
    """A page, with headers that keep other sites and injected code out."""
    nonce = secrets.token_urlsafe(16)
    found = request.scope.get(SCOPE_KEY)
    html = _TEMPLATES.get_template(template).render(
        nonce=nonce,
        title=found.title if found else "Jobs",
        now=datetime.now(UTC),
        **values,
    )
    policy = (
        "default-src 'none'; "
        f"style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return HTMLResponse(
        html,
        status_code=status_code,
        headers={
            "Content-Security-Policy": policy,
            "X-Frame-Options": "DENY",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )


async def index(request: Request) -> Response:
    """The page: each queue's counts and chart, and a filtered job table."""
    raw_path = request.scope.get("raw_path")
    if isinstance(raw_path, bytes) and not raw_path.endswith(b"/"):
        # Mounted at /jobs and asked for /jobs: relative links need the slash.
        target = raw_path.decode("latin-1") + "/"
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(target, status_code=307)
    found = browsing(request)
    queue_name = found.queue_name(request)
    status, limit, cursor = listing_options(request)
    counts = await found.counts()
    rows, following = await found.jobs(queue_name, status, limit, cursor)
    workers = await found.workers(queue_name)
    return _render(
        request,
        "index.html",
        browsing=found,
        counts=counts,
        queue_name=queue_name,
        status=status,
        limit=limit,
        rows=rows,
        following=following,
        history=found.history,
        workers=workers,
    )


async def job_page(request: Request) -> Response:
    """One job: its arguments, status, and result or error."""
    found = browsing(request)
    queue_name = found.queue_name(request)
    row = await found.job(request.path_params["job_id"], queue_name)
    return _render(
        request,
        "job.html",
        browsing=found,
        queue_name=queue_name,
        job=row,
        abort_requested=request.query_params.get("abort") == "requested",
        retry_of=request.query_params.get("retry_of"),
    )


async def abort_form(request: Request) -> Response:
    """The page's abort button: ask for the abort, then show the job again."""
    _, job_id, queue_name, _ = await abort(request)
    target = _link(f"../{quote(job_id, safe='')}", queue=queue_name, abort="requested")
    return RedirectResponse(target, status_code=303)


async def retry_form(request: Request) -> Response:
    """The page's retry button: enqueue the job again, then show the new job."""
    job_id, job = await retry(request)
    target = _link(
        f"../{quote(job.id, safe='')}", queue=job.queue_name, retry_of=job_id
    )
    return RedirectResponse(target, status_code=303)


def _in_api(scope: Scope) -> bool:
    """Whether a request is for the JSON API (under the mount's ``api/``)."""
    path, root = str(scope.get("path", "")), str(scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.startswith("/api/")


async def _refused(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        error = BrowsingError(exc.status_code, exc.detail)
    else:
        error = exc if isinstance(exc, BrowsingError) else BrowsingError(500, str(exc))
    if _in_api(request.scope):
        return error_response(error)
    return _render(request, "error.html", error.status_code, error=error)


async def _unavailable(request: Request, exc: Exception) -> Response:
    # The message may name the server; the page says only what happened.
    logger.warning("Queue backend unavailable: %s", type(exc).__name__)
    return await _refused(request, BrowsingError(503, "queue backend unavailable"))


def _no_queue(scope: Scope) -> Response:
    detail = (
        "no arq queue on this app: pass one to JobBrowser, or open it in the "
        "app's lifespan (queue_starlette, queue_fastapi or queue_litestar)"
    )
    if _in_api(scope):
        return JSONResponse({"detail": detail}, status_code=500)
    return Response(detail, status_code=500, media_type="text/plain")


class JobBrowser:
    """A web page and JSON API to look at arq queues and abort stuck jobs.

    An ASGI app: mount it in FastAPI or Starlette with
    ``app.mount("/jobs", JobBrowser(queue))``, in Litestar through an ASGI
    handler with ``is_mount=True``, or serve it alone (``queue-core
    browse``). It shows only what any `ArqQueue` can read, so it works
    over Redis, the embedded mode and the mock alike. Read-only unless
    ``allow_abort`` or ``allow_retry``; it has no authentication of its
    own: mount it behind the app's.

    Args:
        queue: The queue to show; `None` takes it from the app's state at
            each request (``app.state.arq_queue``, as the shims' lifespans
            set it), so the app's own connection is reused.
        queue_names: The queues to show (default: the queue's default one).
        allow_abort: Offer an abort button, and accept
            ``POST api/jobs/{job_id}/abort`` from the same origin.
        allow_retry: Offer a retry button on finished jobs, and accept
            ``POST api/jobs/{job_id}/retry`` from the same origin.
        title: The page's title.
    """

    def __init__(
        self,
        queue: ArqQueue | None,
        *,
        queue_names: Sequence[str] | None = None,
        allow_abort: bool = False,
        allow_retry: bool = False,
        title: str = "Jobs",
    ) -> None:
        if isinstance(queue_names, str):
            msg = "queue_names takes a list of names, not one string"
            raise TypeError(msg)
        self._queue = queue
        self._state_key = STATE_KEY
        self._queue_names = tuple(queue_names or ())
        self._allow_abort = allow_abort
        self._allow_retry = allow_retry
        self._title = title
        self._history = DepthHistory()
        self._app = Starlette(
            routes=[
                # Job ids may hold slashes; the abort routes come first.
                Route("/", index),
                Route("/job/{job_id:path}/abort", abort_form, methods=["POST"]),
                Route("/job/{job_id:path}/retry", retry_form, methods=["POST"]),
                Route("/job/{job_id:path}", job_page),
                Route("/api/queues", api_queues),
                Route("/api/workers", api_workers),
                Route("/api/jobs", api_jobs),
                Route("/api/jobs/{job_id:path}/abort", api_abort, methods=["POST"]),
                Route("/api/jobs/{job_id:path}/retry", api_retry, methods=["POST"]),
                Route("/api/jobs/{job_id:path}", api_job),
            ],
            exception_handlers={
                BrowsingError: _refused,
                RedisError: _unavailable,
                OSError: _unavailable,
                404: _refused,
                405: _refused,
            },
        )

    @classmethod
    def from_app_state(
        cls,
        state_key: str = STATE_KEY,
        *,
        queue_names: Sequence[str] | None = None,
        allow_abort: bool = False,
        allow_retry: bool = False,
        title: str = "Jobs",
    ) -> Self:
        """A browser over the queue the app keeps in its state under a key.

        The queue is looked up at each request: first in the lifespan state
        (``request.state``), then on ``app.state``, where
        ``queue_starlette``, ``queue_fastapi`` and ``queue_litestar`` put it.
        """
        browser = cls(
            None,
            queue_names=queue_names,
            allow_abort=allow_abort,
            allow_retry=allow_retry,
            title=title,
        )
        browser._state_key = state_key
        return browser

    @property
    def allow_abort(self) -> bool:
        """Whether jobs may be aborted from the browser."""
        return self._allow_abort

    @property
    def allow_retry(self) -> bool:
        """Whether finished jobs may be retried from the browser."""
        return self._allow_retry

    def _find_queue(self, scope: Scope) -> ArqQueue | None:
        if self._queue is not None:
            return self._queue
        state = scope.get("state")
        if isinstance(state, dict) and isinstance(state.get(self._state_key), ArqQueue):
            found: ArqQueue = state[self._state_key]
            return found
        app_state = getattr(scope.get("app"), "state", None)
        queue = getattr(app_state, self._state_key, None)
        return queue if isinstance(queue, ArqQueue) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root = str(scope.get("root_path", "")).rstrip("/")
            if path.endswith("/") and path.rstrip("/") not in ("", root):
                # Litestar's mounts add a slash to every path they pass on.
                scope = {**scope, "path": path.rstrip("/")}
            queue = self._find_queue(scope)
            if queue is None:
                await _no_queue(scope)(scope, receive, send)
                return
            scope[SCOPE_KEY] = Browsing(
                queue=queue,
                queue_names=self._queue_names or (queue.default_queue_name,),
                allow_abort=self._allow_abort,
                title=self._title,
                history=self._history,
                allow_retry=self._allow_retry,
            )
        await self._app(scope, receive, send)
