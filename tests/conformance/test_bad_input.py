"""Bad input is refused with a message naming the argument; nothing is written."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq.jobs import SerializationError

from queue_core import JobSerializationError
from tests.conformance.conftest import Backend

BAD_OPTIONS: list[tuple[str, tuple[Any, ...], dict[str, Any], type[Exception], str]] = [
    ("empty task name", ("",), {}, ValueError, "task_name must not be empty"),
    ("task name not a str", (42,), {}, TypeError, "task_name must be a str, not int"),
    (
        "empty job id",
        ("echo",),
        {"_job_id": ""},
        ValueError,
        "_job_id must not be empty",
    ),
    ("job id not a str", ("echo",), {"_job_id": 7}, TypeError, "_job_id must be a str"),
    (
        "absurd job id",
        ("echo",),
        {"_job_id": "x" * 10_000},
        ValueError,
        "_job_id is 10000 characters long",
    ),
    (
        "empty queue name",
        ("echo",),
        {"_queue_name": ""},
        ValueError,
        "_queue_name must not be empty",
    ),
    (
        "negative defer_by",
        ("echo",),
        {"_defer_by": -5},
        ValueError,
        "_defer_by must not be negative",
    ),
    (
        "defer_by not a number",
        ("echo",),
        {"_defer_by": "5"},
        TypeError,
        "_defer_by must be seconds",
    ),
    (
        "both defer options",
        ("echo",),
        {"_defer_by": 5, "_defer_until": datetime.now(tz=UTC) + timedelta(hours=1)},
        ValueError,
        "use either _defer_until or _defer_by, not both",
    ),
    (
        "defer_until not a datetime",
        ("echo",),
        {"_defer_until": 12},
        TypeError,
        "_defer_until must be a datetime",
    ),
    (
        "expires in the past",
        ("echo",),
        {"_expires": -1},
        ValueError,
        "_expires must be a positive duration",
    ),
    (
        "expires zero",
        ("echo",),
        {"_expires": timedelta(0)},
        ValueError,
        "_expires must be a positive duration",
    ),
    (
        "job_try not an int",
        ("echo",),
        {"_job_try": "1"},
        TypeError,
        "_job_try must be a int",
    ),
]


@pytest.mark.parametrize(
    ("args", "options", "error", "message"),
    [case[1:] for case in BAD_OPTIONS],
    ids=[case[0] for case in BAD_OPTIONS],
)
async def test_bad_enqueue_arguments_are_refused_before_anything_is_written(
    backend: Backend,
    args: tuple[Any, ...],
    options: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    keys_before = await backend.stored_keys()

    with pytest.raises(error, match=message):
        await backend.queue.enqueue(*args, **options)

    assert await backend.stored_keys() == keys_before


async def test_an_unserializable_argument_names_the_task_and_its_type(
    backend: Backend,
) -> None:
    keys_before = await backend.stored_keys()

    with pytest.raises(JobSerializationError) as refused:
        await backend.queue.enqueue("echo", 1, lock=threading.Lock(), _job_id="bad")

    message = str(refused.value)
    assert 'task "echo"' in message
    assert "keyword argument 'lock'" in message
    assert "_thread.lock" in message
    assert refused.value.job_id == "bad"
    assert isinstance(refused.value, SerializationError)
    assert await backend.stored_keys() == keys_before


async def test_an_unserializable_positional_argument_is_named_by_position(
    backend: Backend,
) -> None:
    with pytest.raises(JobSerializationError, match="positional argument 1 has type"):
        await backend.queue.enqueue("echo", 1, lambda: None)
