"""A task that uses the HTTP client the worker keeps in ``ctx``."""

from typing import Any

import httpx

from queue_core import task


@task
async def check_url(ctx: dict[Any, Any], url: str) -> dict[str, Any]:
    """Fetch a URL and report its HTTP status and size.

    The client comes from the worker's ``on_startup``, so every job shares
    one connection pool.
    """
    client: httpx.AsyncClient = ctx["http_client"]
    response = await client.get(url)
    return {
        "url": url,
        "status_code": response.status_code,
        "size": len(response.content),
    }
