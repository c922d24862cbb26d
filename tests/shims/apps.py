"""One small HTTP API over the app's queue, built in each framework.

The API (the same in all three):

- ``POST /jobs?task=T[&queue_name=Q]`` with a JSON list of arguments:
  202 ``{"job_id", "status"}``.
- ``GET /jobs/{id}[?queue_name=Q]``: 200 ``{"id", "name", "args", "status"}``
  or 404.
- ``GET /jobs/{id}/result[?queue_name=Q][&wait=true]``: 200
  ``{"success", "result"}`` (a failure shows its exception's type name), 404,
  or 409 while the job is unfinished; ``wait=true`` waits for it in the
  handler, on the app's own event loop.
- ``DELETE /jobs/{id}[?queue_name=Q]``: 204 once aborted, or 404.
- ``POST /jobs/{id}/retry[?queue_name=Q]``: 202 ``{"job_id", "retry_of"}``
  for the finished job run again, 404, or 409 while it is unfinished.

What the handlers do with the queue is written once, below; each framework
only gets the queue and the parameters its own way and sends the reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from litestar import Litestar, get, post, route
from litestar import Request as LitestarRequest
from litestar import Response as LitestarResponse
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.types import ControllerRouterHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Lifespan

from queue_core import ArqQueue, JobNotFound, JobResultUnavailable
from queue_fastapi import ArqQueueDep
from queue_litestar import ArqConfig, ArqPlugin
from queue_starlette import get_arq_queue

WAIT = 30.0
"""Longest a ``wait=true`` request waits for a job, in seconds."""


@dataclass(frozen=True)
class Reply:
    """What a handler answers: an HTTP status and a JSON body, if any."""

    status: int
    body: Any = None


NOT_FOUND = Reply(404, {"detail": "no such job"})


async def enqueue(
    queue: ArqQueue, task: str, args: list[Any], queue_name: str | None
) -> Reply:
    """``POST /jobs``."""
    job = await queue.enqueue(task, *args, _queue_name=queue_name)
    return Reply(202, {"job_id": job.id, "status": job.status.value})


async def read_metadata(queue: ArqQueue, job_id: str, queue_name: str | None) -> Reply:
    """``GET /jobs/{id}``."""
    try:
        job = await queue.get_job_metadata(job_id, queue_name)
    except JobNotFound:
        return NOT_FOUND
    body = {"id": job.id, "name": job.name, "args": list(job.args)}
    return Reply(200, {**body, "status": job.status.value})


async def read_result(
    queue: ArqQueue, job_id: str, queue_name: str | None, *, wait: bool
) -> Reply:
    """``GET /jobs/{id}/result``."""
    try:
        if wait:
            result = await queue.wait_for_result(job_id, queue_name, timeout=WAIT)
        else:
            result = await queue.get_job_result(job_id, queue_name)
    except JobNotFound:
        return NOT_FOUND
    except JobResultUnavailable:
        return Reply(409, {"detail": "not finished"})
    shown = result.result if result.success else type(result.result).__name__
    return Reply(200, {"success": result.success, "result": shown})


async def abort(queue: ArqQueue, job_id: str, queue_name: str | None) -> Reply:
    """``DELETE /jobs/{id}``."""
    if await queue.abort_job(job_id, queue_name):
        return Reply(204)
    return NOT_FOUND


async def retry(queue: ArqQueue, job_id: str, queue_name: str | None) -> Reply:
    """``POST /jobs/{id}/retry``."""
    try:
        job = await queue.retry_job(job_id, queue_name)
    except JobNotFound:
        return NOT_FOUND
    except JobResultUnavailable:
        return Reply(409, {"detail": "not finished"})
    return Reply(202, {"job_id": job.id, "retry_of": job_id})


async def post_job(
    client: AsyncClient, task: str, *args: object, queue_name: str | None = None
) -> str:
    """Post a job through the API and return its id."""
    params = {"task": task}
    if queue_name is not None:
        params["queue_name"] = queue_name
    response = await client.post("/jobs", params=params, json=list(args))
    assert response.status_code == 202
    job_id: str = response.json()["job_id"]
    return job_id


# Starlette: the queue from `get_arq_queue(request)`, parameters by hand.


def _starlette_response(reply: Reply) -> Response:
    if reply.body is None:
        return Response(status_code=reply.status)
    return JSONResponse(reply.body, status_code=reply.status)


async def _starlette_post(request: Request) -> Response:
    task, args = request.query_params["task"], await request.json()
    queue_name = request.query_params.get("queue_name")
    reply = await enqueue(get_arq_queue(request), task, args, queue_name)
    return _starlette_response(reply)


async def _starlette_job(request: Request) -> Response:
    queue, job_id = get_arq_queue(request), request.path_params["job_id"]
    queue_name = request.query_params.get("queue_name")
    if request.method == "DELETE":
        return _starlette_response(await abort(queue, job_id, queue_name))
    return _starlette_response(await read_metadata(queue, job_id, queue_name))


async def _starlette_result(request: Request) -> Response:
    wait = request.query_params.get("wait") == "true"
    reply = await read_result(
        get_arq_queue(request),
        request.path_params["job_id"],
        request.query_params.get("queue_name"),
        wait=wait,
    )
    return _starlette_response(reply)


async def _starlette_retry(request: Request) -> Response:
    reply = await retry(
        get_arq_queue(request),
        request.path_params["job_id"],
        request.query_params.get("queue_name"),
    )
    return _starlette_response(reply)


def starlette_app(
    lifespan: Lifespan[Starlette] | None, *routes: BaseRoute
) -> Starlette:
    """The API on Starlette, plus any other routes a test needs."""
    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/jobs", _starlette_post, methods=["POST"]),
            Route("/jobs/{job_id}", _starlette_job, methods=["GET", "DELETE"]),
            Route("/jobs/{job_id}/result", _starlette_result, methods=["GET"]),
            Route("/jobs/{job_id}/retry", _starlette_retry, methods=["POST"]),
            *routes,
        ],
    )


# FastAPI: the queue from `ArqQueueDep`, parameters declared on the handler;
# its responses are Starlette's.


def fastapi_app(lifespan: Lifespan[FastAPI] | None) -> FastAPI:
    """The API on FastAPI; a test may add routes to the app it returns."""
    app = FastAPI(lifespan=lifespan)

    @app.post("/jobs")
    async def post_job(
        arq_queue: ArqQueueDep,
        task: str,
        args: list[Any],
        queue_name: str | None = None,
    ) -> Response:
        return _starlette_response(await enqueue(arq_queue, task, args, queue_name))

    @app.get("/jobs/{job_id}")
    async def get_job(
        arq_queue: ArqQueueDep, job_id: str, queue_name: str | None = None
    ) -> Response:
        return _starlette_response(await read_metadata(arq_queue, job_id, queue_name))

    @app.get("/jobs/{job_id}/result")
    async def get_result(
        arq_queue: ArqQueueDep,
        job_id: str,
        queue_name: str | None = None,
        wait: bool = False,
    ) -> Response:
        reply = await read_result(arq_queue, job_id, queue_name, wait=wait)
        return _starlette_response(reply)

    @app.delete("/jobs/{job_id}")
    async def delete_job(
        arq_queue: ArqQueueDep, job_id: str, queue_name: str | None = None
    ) -> Response:
        return _starlette_response(await abort(arq_queue, job_id, queue_name))

    @app.post("/jobs/{job_id}/retry")
    async def retry_job(
        arq_queue: ArqQueueDep, job_id: str, queue_name: str | None = None
    ) -> Response:
        return _starlette_response(await retry(arq_queue, job_id, queue_name))

    return app


# Litestar: the queue injected by `ArqPlugin` as the ``arq_queue`` parameter.


def _litestar_response(reply: Reply) -> LitestarResponse[Any]:
    return LitestarResponse(reply.body, status_code=reply.status)


@post("/jobs")
async def _litestar_post(
    arq_queue: NamedDependency[ArqQueue],
    task: FromQuery[str],
    data: JSONBody[list[Any]],
    queue_name: FromQuery[str | None] = None,
) -> LitestarResponse[Any]:
    return _litestar_response(await enqueue(arq_queue, task, data, queue_name))


@route("/jobs/{job_id:str}", http_method=["GET", "DELETE"], status_code=200)
async def _litestar_job(
    request: LitestarRequest[Any, Any, Any],
    arq_queue: NamedDependency[ArqQueue],
    job_id: FromPath[str],
    queue_name: FromQuery[str | None] = None,
) -> LitestarResponse[Any]:
    if request.method == "DELETE":
        return _litestar_response(await abort(arq_queue, job_id, queue_name))
    return _litestar_response(await read_metadata(arq_queue, job_id, queue_name))


@get("/jobs/{job_id:str}/result")
async def _litestar_result(
    arq_queue: NamedDependency[ArqQueue],
    job_id: FromPath[str],
    queue_name: FromQuery[str | None] = None,
    wait: FromQuery[bool] = False,
) -> LitestarResponse[Any]:
    reply = await read_result(arq_queue, job_id, queue_name, wait=wait)
    return _litestar_response(reply)


@post("/jobs/{job_id:str}/retry")
async def _litestar_retry(
    arq_queue: NamedDependency[ArqQueue],
    job_id: FromPath[str],
    queue_name: FromQuery[str | None] = None,
) -> LitestarResponse[Any]:
    return _litestar_response(await retry(arq_queue, job_id, queue_name))


def litestar_app(
    config: ArqConfig, *handlers: ControllerRouterHandler, **options: Any
) -> Litestar:
    """The API on Litestar, plus other handlers and `Litestar` options."""
    return Litestar(
        route_handlers=[
            _litestar_post,
            _litestar_job,
            _litestar_result,
            _litestar_retry,
            *handlers,
        ],
        plugins=[ArqPlugin(config)],
        **options,
    )
