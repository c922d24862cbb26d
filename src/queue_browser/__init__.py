"""queue_browser: a web page and JSON API over arq queues, mounted in any ASGI app."""

from __future__ import annotations

try:
    import jinja2  # noqa: F401 - checked here to name the extra
    import starlette  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    msg = 'queue_browser needs Jinja2 and Starlette: pip install "queue-core[browser]"'
    raise ImportError(msg) from exc

from ._api import DEFAULT_LIMIT, MAX_LIMIT
from ._app import STATE_KEY, JobBrowser
from ._display import DISPLAY_LIMIT, TRACEBACK_DISPLAY_LIMIT

__all__ = [
    "DEFAULT_LIMIT",
    "DISPLAY_LIMIT",
    "MAX_LIMIT",
    "STATE_KEY",
    "TRACEBACK_DISPLAY_LIMIT",
    "JobBrowser",
]
