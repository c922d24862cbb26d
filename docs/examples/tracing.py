"""One trace from the code that enqueues a job to the worker that runs it."""

import asyncio
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

from queue_core import EmbeddedArqQueue, WorkerSettings

# The application chooses the SDK and its exporters; queue-core uses the API.
provider = TracerProvider(resource=Resource({"service.name": "tracing-example"}))
provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
trace.set_tracer_provider(provider)


async def greet(ctx: dict[Any, Any], name: str) -> str:  # noqa: ARG001 - arq passes ctx to every task
    return f"Hello, {name}!"


# Each run of greet is a CONSUMER span, child of the PRODUCER span that sent it.
worker_settings = WorkerSettings(functions=[greet])


async def main() -> None:
    async with await EmbeddedArqQueue.start(worker_settings=worker_settings) as queue:
        with trace.get_tracer(__name__).start_as_current_span("handle request"):
            job = await queue.enqueue("greet", "Ada")
        result = await queue.wait_for_result(job.id, timeout=10)
        print(result.result)


if __name__ == "__main__":
    asyncio.run(main())
