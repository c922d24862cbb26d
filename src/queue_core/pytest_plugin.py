"""pytest fixtures for apps that use queue-core (loaded automatically).

pytest loads this module in every session of every project that installs
queue-core, so it imports nothing but pytest until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pytest

import queue_core

__all__ = ["InstallMockArqQueue", "install_mock_arq_queue", "mock_arq_queue"]


class InstallMockArqQueue(Protocol):
    """Type of the `install_mock_arq_queue` fixture, for test annotations."""

    def __call__(
        self, app: Any, state_key: str = "arq_queue"
    ) -> queue_core.MockArqQueue:
        """Put the test's mock on ``app.state`` before the app starts."""
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
