"""A FastAPI app whose lifespan opens the arq queue; handlers get it injected."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, status

from queue_core import ArqMode, build_arq_redis_settings
from queue_fastapi import ArqQueueDep, arq_lifespan


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    # The app's own startup and shutdown; the queue is already open here.
    yield


app = FastAPI(
    lifespan=arq_lifespan(
        mode=ArqMode.production,
        redis_settings=build_arq_redis_settings("redis://localhost:6379/0"),
        lifespan=lifespan,
    )
)


@app.post("/reports", status_code=status.HTTP_202_ACCEPTED)
async def create_report(period: str, arq_queue: ArqQueueDep) -> dict[str, str]:
    job = await arq_queue.enqueue("build_report", period)
    return {"job_id": job.id, "status": job.status}
