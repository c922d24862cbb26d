"""The browse command: serve the job browser on loopback for a Redis URL.

The browser (and uvicorn) load only when a command serves it, so the rest of
the command line works without the browser extra.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

import click
from typing_extensions import override

from queue_core._cli._app import _Failure, _options, _queue_options, _run, cli
from queue_core._queue import ArqQueue

_HOST: Final = "127.0.0.1"
"""The browser is served on loopback only: put a proxy with authentication in
front of it to reach it from elsewhere."""

_NEEDS_EXTRA: Final = (
    'the job browser needs its extra: pip install "queue-core[browser]"'
)


def port_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--port``, shared by browse and demo --browse."""
    return click.option(
        "--port",
        type=click.IntRange(0, 65535),
        default=8000,
        show_default=True,
        help="Serve the browser on 127.0.0.1 at this port (0: any free one).",
    )(command)


def check_browser() -> None:
    """Fail at once, naming the extra, if the browser cannot be served.

    Called before anything else runs, so a command never does its work
    (the demo's jobs, say) only to fail when it comes to serving.
    """
    try:
        import uvicorn  # noqa: F401, PLC0415 - only when serving

        import queue_browser  # noqa: F401, PLC0415
    except ImportError:
        raise _Failure(_NEEDS_EXTRA) from None


@contextlib.contextmanager
def _stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the server gracefully, then the command ends."""
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(signum, stop)
            handled.append(signum)
    try:
        yield
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)


async def serve_browser(
    queue: ArqQueue,
    *,
    port: int,
    queue_names: Sequence[str] | None = None,
    allow_abort: bool = False,
    allow_retry: bool = False,
    title: str = "Jobs",
) -> None:
    """Serve a `JobBrowser` over ``queue`` on 127.0.0.1 until Ctrl-C."""
    check_browser()
    import uvicorn  # noqa: PLC0415 - only when serving

    from queue_browser import JobBrowser  # noqa: PLC0415

    browser = JobBrowser(
        queue,
        queue_names=queue_names,
        allow_abort=allow_abort,
        allow_retry=allow_retry,
        title=title,
    )

    class Server(uvicorn.Server):
        # uvicorn's own signal handling would raise Ctrl-C again after it
        # shut down; the command stops the server itself and ends normally.
        @override
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    server = Server(uvicorn.Config(browser, log_level="warning", lifespan="off"))
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((_HOST, port))
        listener.listen(128)  # connections wait until uvicorn accepts them
    except OSError as exc:
        listener.close()
        msg = f"cannot serve on {_HOST}:{port}: {exc.strerror or exc}"
        raise _Failure(msg) from None
    bound = listener.getsockname()[1]
    allowed = [
        what
        for what, on in (("aborting", allow_abort), ("retrying", allow_retry))
        if on
    ]
    mode = f"{' and '.join(allowed)} allowed" if allowed else "read-only"
    click.echo(
        f"Job browser at http://{_HOST}:{bound}/ ({mode}); Ctrl-C to stop", err=True
    )

    def stop() -> None:
        server.should_exit = True

    with listener, _stop_on_signals(stop):
        await server.serve(sockets=[listener])


@cli.command()
@_queue_options
@click.option(
    "--also",
    "more_queues",
    multiple=True,
    metavar="NAME",
    help="Show this queue too (repeatable).",
)
@port_option
@click.option(
    "--allow-abort",
    is_flag=True,
    help="Offer an abort button (the browser is read-only without it).",
)
@click.option(
    "--allow-retry",
    is_flag=True,
    help="Offer a retry button on finished jobs.",
)
def browse(
    more_queues: tuple[str, ...], port: int, allow_abort: bool, allow_retry: bool
) -> None:
    """Serve the job browser for a queue on 127.0.0.1 until Ctrl-C.

    A web page with each queue's depth, running and deferred jobs, a chart
    of depth over the last minutes, and the jobs themselves; see
    docs/browser.md. It has no authentication: it listens on loopback only.
    """
    check_browser()
    options = _options()
    names = [options.queue, *(name for name in more_queues if name != options.queue)]

    async def action(queue: ArqQueue) -> None:
        await serve_browser(
            queue,
            port=port,
            queue_names=names,
            allow_abort=allow_abort,
            allow_retry=allow_retry,
        )

    _run(action)
