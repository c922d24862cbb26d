"""A Litestar app with the job browser mounted at /jobs, guarded by the app."""

import os
import secrets
from typing import Any

from litestar import Litestar, asgi
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler
from starlette.types import Receive, Scope, Send

from queue_browser import JobBrowser
from queue_core import ArqMode, build_arq_redis_settings
from queue_litestar import ArqConfig, ArqPlugin

ADMIN_TOKEN = os.environ.get("JOBS_ADMIN_TOKEN", "")


def admins_only(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """A guard: the app's own check (here a bearer token) for the mount."""
    given = connection.headers.get("authorization", "")
    if not (ADMIN_TOKEN and secrets.compare_digest(given, f"Bearer {ADMIN_TOKEN}")):
        raise NotAuthorizedException


browser = JobBrowser.from_app_state(allow_abort=True)


@asgi("/jobs", is_mount=True, copy_scope=True, guards=[admins_only])
async def jobs(scope: Scope, receive: Receive, send: Send) -> None:
    """The browser, on the queue `ArqPlugin` keeps on ``app.state``."""
    await browser(scope, receive, send)


arq = ArqPlugin(
    ArqConfig(
        mode=ArqMode(os.environ.get("ARQ_MODE", "production")),
        redis_settings=build_arq_redis_settings(
            os.environ.get("REDIS_URL", "redis://localhost:6379/0")
        ),
    )
)
app = Litestar(route_handlers=[jobs], plugins=[arq])
