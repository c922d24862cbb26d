"""A FastAPI app with the job browser at /jobs, for its admins only."""

import os
import secrets

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from queue_browser import JobBrowser
from queue_core import build_arq_redis_settings
from queue_fastapi import arq_lifespan

ADMIN_TOKEN = os.environ.get("JOBS_ADMIN_TOKEN", "")


class AdminsOnly:
    """Let through requests your app authenticates as an admin's, refuse others.

    Here a bearer token; use your app's own check (session, OAuth, ...).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = Request(scope).headers.get("authorization", "")
        if scope["type"] == "http" and not (
            ADMIN_TOKEN and secrets.compare_digest(given, f"Bearer {ADMIN_TOKEN}")
        ):
            refusal = PlainTextResponse("Unauthorized", status_code=401)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


app = FastAPI(
    lifespan=arq_lifespan(
        mode=os.environ.get("ARQ_MODE", "production"),
        redis_settings=build_arq_redis_settings(
            os.environ.get("REDIS_URL", "redis://localhost:6379/0")
        ),
    )
)
# The browser reads the queue the lifespan opened: no second connection.
app.mount("/jobs", AdminsOnly(JobBrowser.from_app_state(allow_abort=True)))
