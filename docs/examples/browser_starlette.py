"""A Starlette app with a read-only job browser at /jobs, behind its own auth."""

import os
import secrets

from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    SimpleUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send
from typing_extensions import override

from queue_browser import JobBrowser
from queue_core import build_arq_redis_settings
from queue_starlette import arq_lifespan

ADMIN_TOKEN = os.environ.get("JOBS_ADMIN_TOKEN", "")


class TokenAuth(AuthenticationBackend):
    """The app's own authentication (here a bearer token) for every route."""

    @override
    async def authenticate(
        self, conn: HTTPConnection
    ) -> tuple[AuthCredentials, SimpleUser] | None:
        given = conn.headers.get("authorization", "")
        if ADMIN_TOKEN and secrets.compare_digest(given, f"Bearer {ADMIN_TOKEN}"):
            return AuthCredentials(["admin"]), SimpleUser("admin")
        return None


class AdminsOnly:
    """Refuse requests the app did not authenticate with the admin scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "admin" not in scope["auth"].scopes:
            refusal = PlainTextResponse("Unauthorized", status_code=401)
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)


app = Starlette(
    lifespan=arq_lifespan(
        mode=os.environ.get("ARQ_MODE", "production"),
        redis_settings=build_arq_redis_settings(
            os.environ.get("REDIS_URL", "redis://localhost:6379/0")
        ),
    ),
    middleware=[Middleware(AuthenticationMiddleware, backend=TokenAuth())],
    routes=[
        Mount(
            "/jobs",
            app=JobBrowser.from_app_state(queue_names=["arq:queue", "emails"]),
            middleware=[Middleware(AdminsOnly)],
        ),
    ],
)
