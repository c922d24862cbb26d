"""The keys and channel queue-core's worker and clients signal each other by.

They sit beside arq's keys, named after the queue, and cost an arq-only
deployment nothing: clients push wake-up tokens only while a queue-core
worker says it listens, and a finished job is announced on a pub/sub
channel, which stores nothing. Each queue-core worker also keeps a small
record of itself, which expires if it dies, for `ArqQueue.list_workers`.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DONE_SUFFIX",
    "HEALTH_COPY_SUFFIX",
    "LISTENING_SUFFIX",
    "WAKE_LUA",
    "WAKE_SUFFIX",
    "WAKE_TOKENS_MAX",
    "WAKE_TTL_MS",
    "WORKERS_SUFFIX",
    "WORKER_SUFFIX",
]

WAKE_SUFFIX: Final = ":queue-core:wake"
"""``<queue>:queue-core:wake``: a list of wake-up tokens, one per job
enqueued while a queue-core worker listens; a worker blocked on it (BLPOP)
takes one and looks at the queue. At most `WAKE_TOKENS_MAX` long, it expires
`WAKE_TTL_MS` after the last push, and a worker that finds no due job left
deletes it."""

LISTENING_SUFFIX: Final = ":queue-core:listening"
"""``<queue>:queue-core:listening``: exists while a queue-core worker waits
for wake-up tokens (each refreshes it, with an expiry); without it, clients
push none."""

DONE_SUFFIX: Final = ":queue-core:done"
"""``<queue>:queue-core:done``: the pub/sub channel on which a queue-core
worker publishes the id of each job that leaves the queue finished."""

WORKERS_SUFFIX: Final = ":queue-core:workers"
"""``<queue>:queue-core:workers``: a sorted set of the ids of the queue-core
workers serving the queue, each scored by when its record expires; it
expires itself when the last worker's record does."""

WORKER_SUFFIX: Final = ":queue-core:worker:"
"""``<queue>:queue-core:worker:<id>``: one worker's record (JSON: its host,
pid, start, last beat and counts), rewritten at most once a second while it
runs, deleted when it stops, and expiring if it dies (see `_workers`)."""

HEALTH_COPY_SUFFIX: Final = ":queue-core:health"
"""``<queue>:queue-core:health``: a copy of the health-check record a
queue-core worker wrote last, with the same expiry, so that a listing tells
it from an arq worker's (the record itself keeps arq's format)."""

WAKE_TOKENS_MAX: Final = 256
WAKE_TTL_MS: Final = 60_000

WAKE_LUA: Final = f"""
local function wake(queue, jobs)
  if redis.call('EXISTS', queue .. '{LISTENING_SUFFIX}') == 0 then return end
  local list, tokens = queue .. '{WAKE_SUFFIX}', {{}}
  for i = 1, math.min(jobs, {WAKE_TOKENS_MAX}) do tokens[i] = '1' end
  redis.call('LPUSH', list, unpack(tokens))
  redis.call('LTRIM', list, 0, {WAKE_TOKENS_MAX - 1})
  redis.call('PEXPIRE', list, {WAKE_TTL_MS})
end
"""
"""Lua: ``wake(queue, jobs)`` pushes a token per job (at most
`WAKE_TOKENS_MAX`) if a queue-core worker listens on the queue."""
