"""Queue depths read synchronously, for gauges collected from any thread."""

from __future__ import annotations

import inspect
import threading
from typing import Any, Final

import redis
import redis.connection
from arq.connections import ArqRedis
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from redis.backoff import NoBackoff
from redis.retry import Retry

__all__ = ["SyncCounter"]

_SCAN: Final = 1000
"""Due jobs a queue's in-progress count looks at: workers take them in order."""

# Each queue's depth (as arq counts it) and how many of its first due jobs a
# worker holds. KEYS: queues. ARGV: now in ms, how many due jobs to look at.
_COUNTS: Final = f"""
local ip, out = '{in_progress_key_prefix}', {{}}
for i, queue in ipairs(KEYS) do
  local due = redis.call('ZRANGEBYSCORE', queue, '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
  local running = 0
  for _, id in ipairs(due) do running = running + redis.call('EXISTS', ip .. id) end
  out[i] = {{redis.call('ZCARD', queue), running}}
end
return out
"""


def _accepted(connection_class: type) -> set[str]:
    names: set[str] = set()
    for klass in connection_class.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None:
            names.update(inspect.signature(init).parameters)
    return names


class SyncCounter:
    """A blocking client on the same server as an async pool, for counts only.

    OpenTelemetry calls gauge callbacks synchronously, maybe on the event
    loop's own thread, where the async pool cannot be awaited; one small
    connection of its own answers them in one round trip.
    """

    def __init__(self, client: redis.Redis | None) -> None:
        self._client = client
        self._lock = threading.Lock()

    @classmethod
    def for_pool(cls, pool: ArqRedis) -> SyncCounter:
        """A counter on the pool's server; one that counts nothing for Sentinel."""
        async_pool = pool.connection_pool
        connection_class = getattr(
            redis.connection, async_pool.connection_class.__name__, None
        )
        if connection_class is None:  # Sentinel: no plain sync equivalent
            return cls(None)
        accepted = _accepted(connection_class)
        options: dict[str, Any] = {
            key: value
            for key, value in async_pool.connection_kwargs.items()
            if key in accepted and key not in {"retry", "redis_connect_func"}
        }
        # The async pool's Retry is async; this one retries once what its
        # retry_on_error lists, on every redis-py (see _redispy.retried_errors).
        retried = tuple(options.get("retry_on_error") or ())
        sync_pool = redis.ConnectionPool(
            connection_class=connection_class,
            max_connections=1,
            retry=Retry(NoBackoff(), 1 if retried else 0, supported_errors=retried),
            **options,
        )
        return cls(redis.Redis(connection_pool=sync_pool))

    def counts(self, queue_names: list[str]) -> dict[str, tuple[int, int]]:
        """Depth and in-progress count of each queue."""
        if self._client is None or not queue_names:
            return {}
        with self._lock:
            reply: list[list[int]] = self._client.eval(  # type: ignore[assignment]
                _COUNTS, len(queue_names), *queue_names, str(timestamp_ms()), str(_SCAN)
            )
        return {
            name: (int(depth), int(running))
            for name, (depth, running) in zip(queue_names, reply, strict=True)
        }

    def close(self) -> None:
        """Close the connection, if one was opened."""
        if self._client is not None:
            self._client.close()
            self._client = None
