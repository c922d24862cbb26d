"""Shared fixtures: a real redis-server on loopback and real arq workers."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest
from arq.connections import RedisSettings
from asgi_lifespan import LifespanManager
from httpx import ASGITransport, AsyncClient
from redis import Redis
from starlette.types import ASGIApp

from queue_core import (
    EmbeddedRedis,
    RedisArqQueue,
    build_arq_redis_settings,
    find_redis_server,
)
from queue_core._embedded import free_loopback_port, stop_process
from tests import workers

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_REDIS_URL_ENV = "QUEUE_CORE_TEST_REDIS_URL"
WORKER_START_TIMEOUT = 30.0
SIGTERM_AGAIN = 3.0
"""Seconds an arq worker process gets to stop before it is sent SIGTERM again."""
INSTALL_TIMEOUT = 600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that talks to a real Redis with ``redis``."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_redis = callspec is not None and callspec.params.get("backend") in {
            "redis",
            "arq",
            "queue-core",
        }
        if on_redis or "redis_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.redis)


def fail_or_skip(reason: str) -> NoReturn:
    """Skip a test whose tool (Redis, a browser, a Python) is missing here;
    fail it on CI (``CI=true``), which must have everything."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI needs it: {reason}")
    pytest.skip(reason)


def run_benchmark(*argv: str, timeout: float) -> str:
    """Run ``python -m ARGV`` (a benchmark) from the repository on a Redis
    it starts itself, and return what it printed once it succeeded."""
    try:
        find_redis_server()
    except FileNotFoundError as exc:
        fail_or_skip(str(exc))
    completed = subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a real Redis: ``$QUEUE_CORE_TEST_REDIS_URL`` or one we start.

    The suite starts redis-server on a free loopback port (the embedded
    extra's binary, or ``$QUEUE_CORE_REDIS_SERVER``, or the one on PATH) and
    stops it at the end. Without any Redis the tests that need it skip, or
    fail when ``CI=true``.
    """
    configured = os.environ.get(TEST_REDIS_URL_ENV)
    if configured:
        yield configured
        return
    with started_redis(tcp=True) as server:
        yield server.url


@contextmanager
def started_redis(**options: Any) -> Iterator[EmbeddedRedis]:
    """An `EmbeddedRedis` running for the block; without a binary the test
    skips (fails when ``CI=true``)."""
    server = EmbeddedRedis(**options)
    try:
        server.start()
    except FileNotFoundError as exc:
        fail_or_skip(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_settings(redis_url: str) -> RedisSettings:
    """arq settings for the suite's Redis, emptied before each test."""
    settings = build_arq_redis_settings(redis_url)
    client = Redis.from_url(redis_url)
    try:
        client.flushdb()
    finally:
        client.close()
    return settings


@pytest.fixture
async def redis_queue(redis_settings: RedisSettings) -> AsyncIterator[RedisArqQueue]:
    """A `RedisArqQueue` on the suite's (emptied) Redis."""
    queue = await RedisArqQueue.initialize(redis_settings)
    try:
        yield queue
    finally:
        await queue.aclose()


WORKER_PROGRAMS: dict[str, list[str]] = {
    "arq": ["-m", "arq"],
    "queue-core": ["-m", "queue_core", "worker"],
}
"""How to start each kind of worker on a settings path: arq's own command,
or queue-core's (``queue-core worker``), with the same settings modules."""


def worker_command(
    program: str, settings_path: str, *, python: str = sys.executable
) -> list[str]:
    """The argv that runs ``program``'s worker with these settings."""
    return [python, *WORKER_PROGRAMS[program], settings_path]


@dataclass
class WorkerProcess:
    """A real worker process (arq's or queue-core's) started by the suite."""

    process: subprocess.Popen[bytes]
    queue_name: str
    log_path: Path

    def stop(self) -> None:
        """Stop it by its PID, as arq expects (SIGTERM), and wait.

        If it still runs after a few seconds, SIGTERM follows again: on
        Python 3.11 with redis-py 8, arq's worker now and then misses the
        first (docs/index.md says why).
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(SIGTERM_AGAIN)
        stop_process(self.process, timeout=15)

    def log(self) -> str:
        """What the worker printed."""
        return self.log_path.read_text(errors="replace")


def start_worker(
    redis_url: str,
    queue_name: str,
    log_dir: Path,
    *,
    serializer: str = "pickle",
    settings_path: str = "tests.workers.WorkerSettings",
    env: dict[str, str] | None = None,
    program: str = "arq",
    flags: Sequence[str] = (),
    python: str = sys.executable,
    cwd: Path = REPO_ROOT,
) -> WorkerProcess:
    """Start a worker (``python -m arq <settings_path>``, or queue-core's
    with ``program="queue-core"``, with command-line ``flags``) and wait
    until it polls.

    By default it runs tests/workers.py's settings, with this Python from the
    repository, told where Redis is and which queue to serve through the
    environment.
    """
    env = _worker_environment(redis_url, queue_name, serializer, env)
    log_path = (
        log_dir / f"worker-{queue_name.replace(':', '_')}-{time.monotonic_ns()}.log"
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*worker_command(program, settings_path, python=python), *flags],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    worker = WorkerProcess(process, queue_name, log_path)
    client = Redis.from_url(redis_url)
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    try:
        while not client.exists(f"{queue_name}:health-check"):
            if process.poll() is not None or time.monotonic() > deadline:
                worker.stop()
                pytest.fail(f"{program} worker did not start:\n{worker.log()}")
            time.sleep(0.05)
    finally:
        client.close()
    return worker


def _worker_environment(
    redis_url: str, queue_name: str, serializer: str, env: dict[str, str] | None
) -> dict[str, str]:
    """Where tests/workers.py's settings find Redis, their queue and serializer."""
    return {
        **os.environ,
        workers.REDIS_URL_ENV: redis_url,
        workers.QUEUE_ENV: queue_name,
        workers.SERIALIZER_ENV: serializer,
        **(env or {}),
    }


def run_worker_to_exit(
    redis_url: str,
    queue_name: str,
    settings_path: str,
    *,
    timeout: float,
    program: str = "arq",
    flags: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    """Run a worker (arq's, or queue-core's, with command-line ``flags``
    such as ``--burst``) until it exits by itself."""
    return subprocess.run(
        [*worker_command(program, settings_path), *flags],
        cwd=REPO_ROOT,
        env=_worker_environment(redis_url, queue_name, "pickle", None),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@asynccontextmanager
async def asgi_client(app: ASGIApp) -> AsyncIterator[AsyncClient]:
    """An httpx client on a Starlette or FastAPI app, its lifespan running."""
    async with (
        LifespanManager(app) as manager,
        AsyncClient(
            transport=ASGITransport(app=manager.app), base_url="http://testserver"
        ) as client,
    ):
        yield client


@pytest.fixture
def arq_worker(
    redis_url: str, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start real workers (arq's, or queue-core's with ``program=``) for
    this test, on the suite's Redis or another (``url=``); all are stopped
    afterwards."""
    started: list[WorkerProcess] = []

    def start(
        queue_name: str = "arq:queue",
        *,
        serializer: str = "pickle",
        settings_path: str = "tests.workers.WorkerSettings",
        env: dict[str, str] | None = None,
        program: str = "arq",
        url: str | None = None,
    ) -> WorkerProcess:
        worker = start_worker(
            url or redis_url,
            queue_name,
            tmp_path,
            serializer=serializer,
            settings_path=settings_path,
            env=env,
            program=program,
        )
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def load_example(name: str) -> ModuleType:
    """Import ``docs/examples/<name>.py`` as a module of its own.

    Its folder is on ``sys.path`` while it loads, as the current folder is
    for ``uvicorn readme_app:app`` run there, so it can import its siblings.
    """
    module_name = f"docs_examples_{name}"
    folder = str(REPO_ROOT / "docs" / "examples")
    spec = importlib.util.spec_from_file_location(module_name, f"{folder}/{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


def uv_path() -> str:
    """uv's executable; the test skips (fails when ``CI=true``) without it."""
    uv = shutil.which("uv")
    if uv is None:
        fail_or_skip("uv is not installed")
    return uv


def python_path(version: str) -> str:
    """A CPython of this version on the machine (pyenv's, or one uv finds)."""
    pyenv = shutil.which("pyenv")
    if pyenv is not None:
        found = subprocess.run(
            [pyenv, "prefix", version], capture_output=True, text=True, check=False
        )
        candidate = Path(found.stdout.strip()) / "bin" / f"python{version}"
        if found.returncode == 0 and candidate.is_file():
            return str(candidate)
    found = subprocess.run(
        [uv_path(), "python", "find", "--no-python-downloads", version],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        fail_or_skip(f"no Python {version} on this machine")
    return found.stdout.strip()


def run_ok(
    *argv: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command that installs or builds; fail the test with its output."""
    done = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="session")
def queue_core_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout built as a wheel, once a session."""
    dist = tmp_path_factory.mktemp("dist")
    run_ok(uv_path(), "build", "--wheel", "--out-dir", str(dist), cwd=REPO_ROOT)
    [wheel] = dist.glob("queue_core-*.whl")
    return wheel


def run_python(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGS`` from the repository root, capturing its output."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@contextmanager
def served_by_uvicorn(
    target: str,
    log_path: Path,
    *,
    cwd: Path = REPO_ROOT,
    env: Mapping[str, str] | None = None,
) -> Iterator[str]:
    """Run ``python -m uvicorn target`` on a free loopback port; yield its URL.

    The server is stopped by its PID on the way out; what it printed is in
    ``log_path``.
    """
    port = free_loopback_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                target,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process, timeout=15)
