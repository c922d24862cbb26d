"""``queue-core worker``: arq's ``arq`` command, running queue-core's worker."""

from __future__ import annotations

import asyncio
import logging.config
import sys
from pathlib import Path
from signal import Signals
from typing import Any

import click
from arq.logs import default_log_config
from arq.utils import import_string

from queue_core._cli._app import cli
from queue_core._worker import LOOPS, check_health, create_worker, loop_factory
from queue_core._worker_config import UnknownWorkerSetting

__all__ = ["worker"]


def _import(dotted_path: str, what: str) -> Any:
    """Import ``module.attribute`` from the current directory, as ``arq`` does."""
    try:
        return import_string(dotted_path)
    except ImportError as exc:
        msg = f"cannot import {what} {dotted_path!r}: {exc}"
        raise click.UsageError(msg) from None


@cli.command()
@click.argument("worker_settings")
@click.option(
    "--burst/--no-burst",
    default=None,
    help="Batch mode: exit once no jobs are found in the queue.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Health check: exit 0 if the worker's health-check record exists, else 1.",
)
@click.option(
    "--watch",
    type=click.Path(exists=True, dir_okay=True, file_okay=False),
    help="Watch a directory and restart the worker when its files change.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log at DEBUG instead of INFO.")
@click.option(
    "--loop",
    type=click.Choice(LOOPS),
    default="auto",
    show_default=True,
    help="Event loop: uvloop when installed (auto), or one named.",
)
@click.option(
    "--custom-log-dict",
    help="Import path of a logging dictConfig to use instead of arq's.",
)
def worker(
    *,
    worker_settings: str,
    burst: bool | None,
    check: bool,
    watch: str | None,
    verbose: bool,
    loop: str,
    custom_log_dict: str | None,
) -> None:
    """Run queue-core's worker with arq's WORKER_SETTINGS (module.Class).

    Takes the settings, flags and log lines of arq's own ``arq`` command;
    MODULE is imported from the current directory. The worker shares its
    queue with arq's workers and clients.
    """
    sys.path.append(str(Path.cwd()))
    settings = _import(worker_settings, "worker settings")
    log_config = (
        _import(custom_log_dict, "log config")
        if custom_log_dict
        else default_log_config(verbose)
    )
    logging.config.dictConfig(log_config)
    overrides = {} if burst is None else {"burst": burst}
    try:
        if check:
            sys.exit(check_health(settings))
        if watch:
            with asyncio.Runner(loop_factory=loop_factory(loop)) as runner:
                runner.run(_watch_reload(watch, settings, overrides))
        else:
            create_worker(settings, **overrides).run(loop=loop)
    except ImportError as exc:
        raise click.UsageError(str(exc)) from None
    except (UnknownWorkerSetting, ValueError, RuntimeError) as exc:
        raise click.UsageError(str(exc)) from None


async def _watch_reload(path: str, settings: Any, overrides: dict[str, Any]) -> None:
    """Run the worker, restarting it whenever a file under ``path`` changes."""
    try:
        from watchfiles import awatch  # noqa: PLC0415 - optional, as for arq
    except ImportError:
        msg = "--watch needs watchfiles: pip install watchfiles"
        raise click.UsageError(msg) from None
    stop = asyncio.Event()

    def stopped(signum: Signals) -> None:
        if signum != Signals.SIGUSR1:
            stop.set()

    running = create_worker(settings, **overrides)
    running.on_stop = stopped
    task = asyncio.create_task(running.async_run())
    try:
        async for _ in awatch(path, stop_event=stop):
            click.echo("\nfiles changed, reloading queue-core worker...")
            running.handle_sig(Signals.SIGUSR1)
            await running.close()
            task = asyncio.create_task(running.async_run())
    finally:
        task.cancel()
        await running.close()
