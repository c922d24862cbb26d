"""FastAPI integration: the Starlette lifespan, dependencies, safir's singleton."""

from ._dependency import (
    ArqDependency,
    ArqQueueDep,
    arq_dependency,
    arq_lifespan,
    get_arq_queue,
)

__all__ = [
    "ArqDependency",
    "ArqQueueDep",
    "arq_dependency",
    "arq_lifespan",
    "get_arq_queue",
]
