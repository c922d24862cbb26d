"""safir.arq's style, kept for drop-in use: one process-wide `arq_dependency`."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException

from queue_core import ArqMode, ArqQueue, JobNotFound, build_arq_redis_settings
from queue_fastapi import arq_dependency


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await arq_dependency.initialize(
        mode=ArqMode(os.environ.get("APP_ARQ_MODE", "production")),
        redis_settings=build_arq_redis_settings(
            os.environ.get("APP_ARQ_QUEUE_URL", "redis://localhost:6379/0")
        ),
    )
    yield
    await arq_dependency.aclose()


app = FastAPI(lifespan=lifespan)


@app.get("/jobs/{job_id}")
async def get_job(
    job_id: str, arq_queue: Annotated[ArqQueue, Depends(arq_dependency)]
) -> dict[str, str]:
    try:
        job = await arq_queue.get_job_metadata(job_id)
    except JobNotFound:
        raise HTTPException(status_code=404, detail="No such job") from None
    return {"job_id": job.id, "status": job.status}
