"""The workers command: who serves a queue, as `ArqQueue.list_workers` sees it."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import click

from queue_core._cli._app import _json_option, _options, _queue_options, _run, cli
from queue_core._cli._output import _echo_json, _echo_table, _jsonable, _when
from queue_core._models import WorkerInfo


def _worker_document(worker: WorkerInfo) -> dict[str, Any]:
    return {
        field.name: _jsonable(getattr(worker, field.name))
        for field in dataclasses.fields(worker)
        if field.name != "queue_name"
    }


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return _when(value)
    return str(value)


@cli.command()
@_queue_options
@_json_option
def workers() -> None:
    """List the workers serving a queue, oldest first.

    queue-core's workers each keep a record of themselves, refreshed every
    second and gone within 15 s of a worker's death. arq's workers share the
    queue's health-check record: the last one to write it is shown, with the
    counts it wrote then (arq rewrites it every health_check_interval).
    """
    found = _run(lambda queue: queue.list_workers())
    options = _options()
    if options.as_json:
        _echo_json(
            {
                "queue_name": options.queue,
                "workers": [_worker_document(worker) for worker in found],
            }
        )
        return
    if not found:
        click.echo(f"No workers serve queue {options.queue}.")
        return
    _echo_table(
        (
            "ID",
            "KIND",
            "HOST",
            "PID",
            "STARTED",
            "LAST BEAT",
            "RUNNING",
            "COMPLETE",
            "FAILED",
            "RETRIED",
        ),
        [
            tuple(
                _cell(value)
                for value in (
                    worker.id,
                    worker.kind,
                    worker.host,
                    worker.pid,
                    worker.started_at,
                    worker.last_beat_at,
                    worker.running,
                    worker.complete,
                    worker.failed,
                    worker.retried,
                )
            )
            for worker in found
        ],
    )
    click.echo(f"{len(found)} worker(s) serve queue {options.queue}.")
