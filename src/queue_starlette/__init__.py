"""Starlette integration: open the arq queue in the app's lifespan."""

from ._lifespan import arq_lifespan, get_arq_queue

__all__ = ["arq_lifespan", "get_arq_queue"]
