"""A Litestar app: `ArqPlugin` opens the queue and injects it as ``arq_queue``."""

from litestar import Litestar, post
from litestar.di import NamedDependency
from litestar.params import FromQuery

from queue_core import ArqMode, ArqQueue, build_arq_redis_settings
from queue_litestar import ArqConfig, ArqPlugin


@post("/reports", status_code=202)
async def create_report(
    period: FromQuery[str], arq_queue: NamedDependency[ArqQueue]
) -> dict[str, str]:
    job = await arq_queue.enqueue("build_report", period)
    return {"job_id": job.id, "status": job.status}


arq = ArqPlugin(
    ArqConfig(
        mode=ArqMode.production,
        redis_settings=build_arq_redis_settings("redis://localhost:6379/0"),
    )
)
app = Litestar(route_handlers=[create_report], plugins=[arq])
