"""A loopback TCP proxy that delays every request by a fixed time.

Bytes from the client reach the server ``delay`` seconds after they arrived
(in order); replies pass straight through. A command therefore pays the
delay once per round trip, as across a network. asyncio's timers wake up
to a millisecond late, so the last `SPIN` seconds of each wait are spent
spinning: the delay is precise for one request in flight at a time, which
is how the benchmark uses it. Run it as its own process
(``python -m benchmarks.proxy TARGET_PORT DELAY_MS``): it prints the port it
listens on and serves until stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections import deque

from typing_extensions import override

SPIN = 0.002
"""Seconds of each wait spent spinning rather than sleeping."""


class _ToClient(asyncio.Protocol):
    """The connection to Redis: replies go straight back to the client."""

    def __init__(self, client: asyncio.Transport) -> None:
        self._client = client

    @override
    def data_received(self, data: bytes) -> None:
        self._client.write(data)

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        self._client.close()


class _FromClient(asyncio.Protocol):
    """The client's connection: requests are held back, then sent to Redis."""

    def __init__(self, target_port: int, delay: float) -> None:
        self._target_port = target_port
        self._delay = delay
        self._pending: deque[tuple[float, bytes]] = deque()
        self._client: asyncio.Transport | None = None
        self._server: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()
        self._connecting: asyncio.Task[None] | None = None

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - TCP
        self._client = transport
        transport.pause_reading()
        self._connecting = self._loop.create_task(self._connect(transport))

    async def _connect(self, client: asyncio.Transport) -> None:
        server, _ = await self._loop.create_connection(
            lambda: _ToClient(client), "127.0.0.1", self._target_port
        )
        assert isinstance(server, asyncio.Transport)  # noqa: S101 - TCP
        self._server = server
        client.resume_reading()

    @override
    def data_received(self, data: bytes) -> None:
        self._pending.append((self._loop.time() + self._delay, data))
        if len(self._pending) == 1:
            self._flush()

    def _flush(self) -> None:
        while self._pending:
            due, data = self._pending[0]
            wait = due - self._loop.time()
            if wait > SPIN:
                self._loop.call_later(wait - SPIN, self._flush)
                return
            while self._loop.time() < due:
                pass
            self._pending.popleft()
            if self._server is not None:
                self._server.write(data)

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        if self._server is not None:
            self._server.close()


async def serve(target_port: int, delay: float) -> None:
    """Accept connections on a free loopback port and proxy them forever."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: _FromClient(target_port, delay), "127.0.0.1", 0
    )
    port = server.sockets[0].getsockname()[1]
    print(port, flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    """Parse ``TARGET_PORT DELAY_MS`` and serve."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target_port", type=int)
    parser.add_argument("delay_ms", type=float)
    options = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options.target_port, options.delay_ms / 1000))


if __name__ == "__main__":
    main()
