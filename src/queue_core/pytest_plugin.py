"""pytest fixtures for apps that use queue-core (loaded automatically).

pytest loads this module in every session of every project that installs
queue-core, so it imports nothing but pytest until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Protocol

import pytest

import queue_core

__all__ = [
    "InstallMockArqQueue",
    "RunArqJobs",
    "install_mock_arq_queue",
    "mock_arq_queue",
    "run_arq_jobs",
]


class InstallMockArqQueue(Protocol):
    """Type of the `install_mock_arq_queue` fixture, for test annotations."""

    def __call__(
        self, app: Any, state_key: str = "arq_queue"
    ) -> queue_core.MockArqQueue:
        """Put the test's mock on ``app.state`` before the app starts."""
        ...


class RunArqJobs(Protocol):
    """Type of the `run_arq_jobs` fixture, for test annotations."""

    async def __call__(
        self,
        worker_settings: object,
        *,
        advance: float | timedelta = 0,
        startup: bool = True,
        ctx: dict[Any, Any] | None = None,
    ) -> int:
        """Run the test's due jobs with these worker settings; how many ran."""
        ...


@pytest.fixture
def mock_arq_queue() -> queue_core.MockArqQueue:
    """A fresh `MockArqQueue` for this test."""
    return queue_core.MockArqQueue()


@pytest.fixture
def install_mock_arq_queue(
    mock_arq_queue: queue_core.MockArqQueue,
) -> Iterator[InstallMockArqQueue]:
    """Install this test's `mock_arq_queue` on an app, before it starts.

    The shims' lifespans use a queue they find on ``app.state`` instead of
    opening one (Starlette, FastAPI, and Litestar with the default
    ``state_key``), so handlers get the mock whatever mode is configured.
    The mock is taken off again after the test, so an app that lives
    longer than one test never hands a later test a stale mock.
    """
    installed: list[tuple[Any, str]] = []

    def install(app: Any, state_key: str = "arq_queue") -> queue_core.MockArqQueue:
        setattr(app.state, state_key, mock_arq_queue)
        installed.append((app, state_key))
        return mock_arq_queue

    yield install
    for app, state_key in installed:
        if getattr(app.state, state_key, None) is mock_arq_queue:
            delattr(app.state, state_key)


@pytest.fixture
def run_arq_jobs(mock_arq_queue: queue_core.MockArqQueue) -> RunArqJobs:
    """`MockArqQueue.run_jobs` of this test's `mock_arq_queue`.

    ``await run_arq_jobs(WorkerSettings)`` runs the jobs the test queued,
    with the app's own worker settings, as arq's worker would.
    """
    return mock_arq_queue.run_jobs
