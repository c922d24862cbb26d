"""A Starlette app: the lifespan opens the queue, `get_arq_queue` finds it."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from queue_core import ArqMode, build_arq_redis_settings
from queue_starlette import arq_lifespan, get_arq_queue


async def create_report(request: Request) -> JSONResponse:
    arq_queue = get_arq_queue(request)
    job = await arq_queue.enqueue("build_report", request.query_params["period"])
    return JSONResponse({"job_id": job.id, "status": job.status}, status_code=202)


app = Starlette(
    routes=[Route("/reports", create_report, methods=["POST"])],
    lifespan=arq_lifespan(
        mode=ArqMode.production,
        redis_settings=build_arq_redis_settings("redis://localhost:6379/0"),
    ),
)
