"""The Litestar app: the same endpoints as the FastAPI example, via `ArqPlugin`.

The configuration, bodies and worker are the FastAPI example's: a worker
does not care which framework enqueued its jobs. Run it with
``uv run --with uvicorn uvicorn examples.litestar_app.main:app``.
"""

from collections.abc import Sequence
from typing import Any

from litestar import Litestar, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.plugins import PluginProtocol
from litestar.status_codes import HTTP_202_ACCEPTED

from examples.fastapi_app.config import Config
from examples.fastapi_app.models import JobRequest, JobResponse
from examples.fastapi_app.worker.main import build_worker_settings
from queue_core import ArqQueue, JobNotFound, JobStatus
from queue_litestar import ArqConfig, ArqPlugin

__all__ = ["app", "create_app"]


@post("/jobs", status_code=HTTP_202_ACCEPTED)
async def create_job(
    data: JSONBody[JobRequest],
    arq_queue: NamedDependency[ArqQueue],
    request: Request[Any, Any, Any],
) -> Response[JobResponse]:
    """Queue a job; its URL is in the ``Location`` header."""
    job = await data.enqueue(arq_queue)
    location = str(request.url_for("get_job", job_id=job.id))
    return Response(
        JobResponse.from_metadata(job),
        status_code=HTTP_202_ACCEPTED,
        headers={"Location": location},
    )


@get("/jobs/{job_id:str}", name="get_job")
async def get_job(
    job_id: FromPath[str], arq_queue: NamedDependency[ArqQueue]
) -> JobResponse:
    """Report a job's status, with its result once it is complete."""
    try:
        job = await arq_queue.get_job_metadata(job_id)
        if job.status is JobStatus.complete:
            return JobResponse.from_result(await arq_queue.get_job_result(job))
    except JobNotFound:
        raise NotFoundException(detail=f"No job {job_id}") from None
    return JobResponse.from_metadata(job)


def create_app(
    config: Config | None = None, *, plugins: Sequence[PluginProtocol] = ()
) -> Litestar:
    """Build the app; the plugin opens and closes the queue with it.

    ``plugins`` are added after the queue's, such as Litestar's
    ``OpenTelemetryPlugin``.
    """
    config = config or Config()
    arq = ArqConfig(
        mode=config.arq_mode,
        redis_settings=config.arq_redis_settings,
        default_queue_name=config.arq_queue_name,
        worker_settings=build_worker_settings(config),
    )
    return Litestar(
        route_handlers=[create_job, get_job], plugins=[ArqPlugin(arq), *plugins]
    )


app = create_app()
"""The app uvicorn serves, configured from the environment."""
