"""A task that needs nothing but its arguments."""

from typing import Any

from queue_core import task


@task
async def count_words(ctx: dict[Any, Any], text: str) -> int:  # noqa: ARG001 - arq passes ctx to every task
    """Count the whitespace-separated words of a text."""
    return len(text.split())
