"""The FastAPI app: enqueue jobs over HTTP and poll their status.

Run it with ``uv run --with uvicorn uvicorn examples.fastapi_app.main:app``.
"""

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response, status

from queue_core import JobNotFound, JobStatus
from queue_fastapi import ArqQueueDep, arq_lifespan

from .config import Config
from .models import JobRequest, JobResponse
from .telemetry import export_metrics_to_prometheus, metrics_app
from .worker.main import build_worker_settings

__all__ = ["app", "create_app"]

router = APIRouter()


@router.post("/jobs", status_code=status.HTTP_202_ACCEPTED)
async def create_job(
    job_request: JobRequest,
    arq_queue: ArqQueueDep,
    request: Request,
    response: Response,
) -> JobResponse:
    """Queue a job; its URL is in the ``Location`` header."""
    job = await job_request.enqueue(arq_queue)
    response.headers["Location"] = str(request.url_for("get_job", job_id=job.id))
    return JobResponse.from_metadata(job)


@router.get("/jobs/{job_id}", name="get_job")
async def get_job(job_id: str, arq_queue: ArqQueueDep) -> JobResponse:
    """Report a job's status, with its result once it is complete."""
    try:
        job = await arq_queue.get_job_metadata(job_id)
        if job.status is JobStatus.complete:
            return JobResponse.from_result(await arq_queue.get_job_result(job))
    except JobNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"No job {job_id}") from None
    return JobResponse.from_metadata(job)


def create_app(config: Config | None = None) -> FastAPI:
    """Build the app; the queue opens and closes with the app's lifespan.

    In embedded mode a worker with the worker's settings runs inside the app, so
    jobs run with nothing else started. In other modes only the worker's
    serializers are used, so app and worker always agree on them.
    """
    config = config or Config()
    app = FastAPI(
        title="queue-core example",
        lifespan=arq_lifespan(
            mode=config.arq_mode,
            redis_settings=config.arq_redis_settings,
            default_queue_name=config.arq_queue_name,
            worker_settings=build_worker_settings(config),
        ),
    )
    app.include_router(router)
    if config.metrics:  # APP_METRICS=true
        export_metrics_to_prometheus()
        app.mount("/metrics", metrics_app())
    return app


app = create_app()
"""The app uvicorn serves, configured from the environment."""
