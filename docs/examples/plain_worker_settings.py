"""arq's own settings class, traced and measured by one added line."""

from typing import Any

from arq.connections import RedisSettings

from queue_core import instrument_worker


async def send_report(ctx: dict[Any, Any], period: str) -> str:  # noqa: ARG001 - arq passes ctx to every task
    return f"report for {period}"


@instrument_worker  # the one line: every function runs in a CONSUMER span
class WorkerSettings:
    functions = (send_report,)
    redis_settings = RedisSettings()
    queue_name = "reports"
