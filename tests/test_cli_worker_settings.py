"""``queue-core enqueue --worker-settings``: refuse a task no worker registers."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from arq.connections import RedisSettings
from arq.cron import CronJob, cron
from click.testing import CliRunner, Result

from queue_core._cli import URL_ENV, ExitCode, cli
from queue_core._cli._job_commands import WORKER_SETTINGS_ENV
from tests import workers

Invoke = Callable[..., Result]


class PlainSettings:
    """arq's plain settings class, with a cron job registered too."""

    functions: ClassVar[list[Any]] = [workers.multiply, workers.add]
    cron_jobs: ClassVar[list[CronJob]] = [cron(workers.noop, name="nightly", hour=3)]


DICT_SETTINGS: dict[str, Any] = {"functions": [workers.echo], "max_jobs": 3}
"""arq also takes a dict of settings."""


@pytest.fixture
def invoke(redis_url: str, redis_settings: RedisSettings) -> Invoke:  # noqa: ARG001 - it empties Redis
    """Run ``queue-core`` in-process on the suite's (emptied) Redis."""

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(
            cli, list(args), env={URL_ENV: redis_url, **(env or {})}
        )

    return run


def queued(invoke: Invoke) -> list[tuple[str, list[Any]]]:
    """Name and arguments of each job in the default queue, by ``jobs``."""
    listing = invoke("jobs", "--json")
    assert listing.exit_code == ExitCode.OK, listing.stderr
    return [(job["name"], job["args"]) for job in json.loads(listing.stdout)["jobs"]]


def test_a_task_the_settings_do_not_register_is_refused_with_status_6(
    invoke: Invoke,
) -> None:
    refused = invoke(
        "enqueue",
        "no_such_task",
        "1",
        "--worker-settings",
        "tests.workers:WorkerSettings",
    )

    assert refused.exit_code == ExitCode.UNKNOWN_TASK.value == 6
    [line] = refused.stderr.strip().splitlines()
    assert line.startswith("Error: task 'no_such_task' is not registered by ")
    assert line.endswith("registered: add, echo, fail, multiply, noop, sleep")
    assert queued(invoke) == []


def test_a_registered_task_is_enqueued_with_the_settings_from_the_environment(
    invoke: Invoke,
) -> None:
    done = invoke(
        "enqueue",
        "multiply",
        "6",
        "7",
        env={WORKER_SETTINGS_ENV: "tests.workers.WorkerSettings"},
    )

    assert done.exit_code == ExitCode.OK, done.stderr
    assert queued(invoke) == [("multiply", [6, 7])]


@pytest.mark.parametrize(
    ("settings", "registered", "unknown"),
    [
        ("PlainSettings", "add, multiply, nightly", "echo"),
        ("DICT_SETTINGS", "echo", "multiply"),
    ],
)
def test_names_are_read_as_arqs_worker_reads_them_from_any_settings(
    invoke: Invoke,
    settings: str,
    registered: str,
    unknown: str,
) -> None:
    path = f"{__name__}:{settings}"
    for name in registered.split(", "):
        accepted = invoke("enqueue", name, "--worker-settings", path)
        assert accepted.exit_code == ExitCode.OK, accepted.stderr

    refused = invoke("enqueue", unknown, "--worker-settings", path)

    assert refused.exit_code == ExitCode.UNKNOWN_TASK
    assert refused.stderr.strip().endswith(f"registered: {registered}")
    assert sorted(name for name, _ in queued(invoke)) == registered.split(", ")


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("tests.no_such_module:WorkerSettings", "ModuleNotFoundError"),
        ("tests.workers:NoSuchSettings", "ImportError"),
        ("not-a-path", "ImportError"),
    ],
)
def test_settings_that_cannot_be_loaded_are_a_usage_error(
    invoke: Invoke, path: str, reason: str
) -> None:
    wrong = invoke("enqueue", "multiply", "--worker-settings", path)

    assert wrong.exit_code == ExitCode.USAGE
    assert f"cannot load {path}: {reason}" in " ".join(wrong.stderr.split())


def test_without_settings_any_task_name_is_enqueued_as_before(invoke: Invoke) -> None:
    done = invoke("enqueue", "no_such_task")

    assert done.exit_code == ExitCode.OK, done.stderr
    assert queued(invoke) == [("no_such_task", [])]
