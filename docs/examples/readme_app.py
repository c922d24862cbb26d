"""The README's example: a FastAPI service that hands slow work to arq."""

import os

from fastapi import FastAPI, HTTPException, status
from readme_worker import WorkerSettings

from queue_core import JobNotFound, JobResultUnavailable, build_arq_redis_settings
from queue_fastapi import ArqQueueDep, arq_lifespan

app = FastAPI(
    lifespan=arq_lifespan(
        mode=os.environ.get("ARQ_MODE", "production"),  # or "embedded", "test"
        redis_settings=build_arq_redis_settings(
            os.environ.get("REDIS_URL", "redis://localhost:6379/0")
        ),
        worker_settings=WorkerSettings,  # embedded mode runs them in-process
    )
)


@app.post("/reports", status_code=status.HTTP_202_ACCEPTED)
async def create_report(period: str, arq_queue: ArqQueueDep) -> dict[str, str]:
    job = await arq_queue.enqueue("build_report", period)
    return {"job_id": job.id, "status": job.status}


@app.get("/reports/{job_id}")
async def get_report(job_id: str, arq_queue: ArqQueueDep) -> dict[str, object]:
    try:
        job = await arq_queue.get_job_metadata(job_id)
    except JobNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report") from None
    try:
        result = await arq_queue.get_job_result(job_id)
    except JobResultUnavailable:
        return {"status": job.status}
    return {"status": job.status, "success": result.success, "report": result.result}
