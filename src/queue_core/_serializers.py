"""JSON and msgpack serializers for jobs and results, as safe alternatives to pickle.

arq pickles by default: anyone who can write to the Redis can then run code
in every worker and client that reads it. These serializers carry data only.
Give the same pair to the client (`RedisArqQueue`, `MockArqQueue`,
`open_arq_queue`) and to the worker (`WorkerSettings.job_serializer` and
``job_deserializer``).

Exceptions (a failed job's result, an aborted job's `asyncio.CancelledError`)
travel as their type name, message and the traceback queue-core's worker
recorded, and come back as `RemoteJobError` (`asyncio.CancelledError` stays
itself, so aborts are still recognised).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ._models import TRACEBACK_ATTRIBUTE

__all__ = [
    "RemoteJobError",
    "json_deserializer",
    "json_serializer",
    "msgpack_deserializer",
    "msgpack_serializer",
]

_EXCEPTION_KEY = "__queue_core_exception__"
_TRACEBACK = "traceback"
_EXCEPTION_FIELDS = (
    frozenset({_EXCEPTION_KEY, "message"}),
    frozenset({_EXCEPTION_KEY, "message", _TRACEBACK}),
)
"""The keys an encoded exception has: at least, and at most."""
_CANCELLED = "asyncio.CancelledError"


class RemoteJobError(Exception):
    """An exception raised in a worker, read back without pickle."""

    def __init__(
        self, type_name: str, message: str, traceback: str | None = None
    ) -> None:
        super().__init__(f"{type_name}: {message}")
        self.type_name = type_name
        """The original exception's qualified type name."""
        self.message = message
        """The original exception's message."""
        if traceback is not None:
            setattr(self, TRACEBACK_ATTRIBUTE, traceback)

    @property
    def traceback(self) -> str | None:
        """The traceback the worker recorded, if it did (`JobResult.traceback`)."""
        recorded = getattr(self, TRACEBACK_ATTRIBUTE, None)
        return recorded if isinstance(recorded, str) else None


def _encode(value: object) -> object:
    if isinstance(value, asyncio.CancelledError):
        return {_EXCEPTION_KEY: _CANCELLED, "message": str(value)}
    if isinstance(value, BaseException):
        kind = type(value)
        encoded = {
            _EXCEPTION_KEY: f"{kind.__module__}.{kind.__qualname__}",
            "message": str(value),
        }
        recorded = getattr(value, TRACEBACK_ATTRIBUTE, None)
        if isinstance(recorded, str):
            encoded[_TRACEBACK] = recorded
        return encoded
    msg = f"Object of type {type(value).__name__} is not serializable"
    raise TypeError(msg)


def _decode(mapping: dict[str, Any]) -> object:
    kind = mapping.get(_EXCEPTION_KEY)
    if kind is None or not _EXCEPTION_FIELDS[0] <= set(mapping) <= _EXCEPTION_FIELDS[1]:
        return mapping
    if kind == _CANCELLED:
        return (
            asyncio.CancelledError(mapping["message"])
            if mapping["message"]
            else asyncio.CancelledError()
        )
    recorded = mapping.get(_TRACEBACK)
    return RemoteJobError(
        kind, mapping["message"], recorded if isinstance(recorded, str) else None
    )


def json_serializer(data: dict[str, Any]) -> bytes:
    """Serialize a job or result payload as JSON (tuples become lists)."""
    return json.dumps(data, default=_encode, separators=(",", ":")).encode()


def json_deserializer(payload: bytes) -> dict[str, Any]:
    """Read a payload written by `json_serializer`."""
    decoded: dict[str, Any] = json.loads(payload, object_hook=_decode)
    return decoded


def _msgpack() -> Any:
    try:
        import msgpack  # noqa: PLC0415 - an optional dependency
    except ImportError as exc:
        msg = 'msgpack is not installed: pip install "queue-core[msgpack]"'
        raise ImportError(msg) from exc
    return msgpack


def msgpack_serializer(data: dict[str, Any]) -> bytes:
    """Serialize a job or result payload with msgpack (tuples become lists)."""
    packed: bytes = _msgpack().packb(data, default=_encode)
    return packed


def msgpack_deserializer(payload: bytes) -> dict[str, Any]:
    """Read a payload written by `msgpack_serializer`."""
    unpacked: dict[str, Any] = _msgpack().unpackb(
        payload, raw=False, object_hook=_decode
    )
    return unpacked
