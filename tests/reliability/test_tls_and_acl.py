"""TLS with certificates made for the test, and ACL users with passwords."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest
from redis import Redis
from redis.exceptions import AuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError

from queue_core import EmbeddedRedis, RedisArqQueue
from tests.conftest import started_redis
from tests.reliability.conftest import TlsFiles, exception_chain, failure_of

pytestmark = pytest.mark.redis

ACL_PASSWORD = "pw-ACL-91d2"
WRONG_PASSWORD = "pw-WRONG-0c7e"


@pytest.fixture
def acl_redis() -> Iterator[EmbeddedRedis]:
    """A server with a user ``app`` allowed everything, with a password."""
    with started_redis(tcp=True) as server:
        admin = Redis(unix_socket_path=server.unix_socket_path)
        try:
            # ACL SETUSER app on >password ~* &* +@all
            admin.acl_setuser(
                "app",
                enabled=True,
                passwords=[f"+{ACL_PASSWORD}"],
                keys=["*"],
                channels=["*"],
                commands=["+@all"],
            )
        finally:
            admin.close()
        yield server


@pytest.mark.parametrize("trust", ["ssl_ca_certs={ca}", "ssl_cert_reqs=none"])
async def test_a_tls_only_redis_is_used_through_a_rediss_url(
    tls_redis: int, tls_files: TlsFiles, trust: str
) -> None:
    url = f"rediss://127.0.0.1:{tls_redis}/0?" + trust.format(ca=tls_files.ca_cert)
    queue = await RedisArqQueue.from_url(url)
    async with queue:
        job = await queue.enqueue("echo", "over TLS")
        read_back = await queue.get_job_metadata(job.id)

    assert read_back == job


def test_the_test_certificates_pass_the_strict_checks_of_python_3_13(
    tls_redis: int, tls_files: TlsFiles
) -> None:
    context = ssl.create_default_context(cafile=tls_files.ca_cert)
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    with (
        socket.create_connection(("127.0.0.1", tls_redis), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(b"PING\r\n")
        reply = tls.recv(64)

    assert reply == b"+PONG\r\n"


async def test_a_tls_redis_with_an_untrusted_certificate_is_refused_naming_it(
    tls_redis: int, tls_files: TlsFiles, caplog: pytest.LogCaptureFixture
) -> None:
    url = (
        f"rediss://127.0.0.1:{tls_redis}/0?conn_retries=0"
        f"&ssl_ca_certs={tls_files.other_ca_cert}"
    )

    error = await failure_of(lambda: RedisArqQueue.from_url(url), caplog)

    assert isinstance(error, RedisConnectionError)
    assert str(error).startswith(
        f"Error 1 connecting to 127.0.0.1:{tls_redis}. "
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"
    )


async def test_an_acl_user_gets_in_with_its_password(acl_redis: EmbeddedRedis) -> None:
    url = f"redis://app:{ACL_PASSWORD}@127.0.0.1:{acl_redis.port}/0"
    queue = await RedisArqQueue.from_url(url)
    async with queue:
        job = await queue.enqueue("echo", "as app")
        read_back = await queue.get_job_metadata(job.id)
        user = await queue.pool.acl_whoami()

    assert read_back == job
    assert user == "app"


async def test_a_wrong_acl_password_is_an_auth_error_that_does_not_show_it(
    acl_redis: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://app:{WRONG_PASSWORD}@127.0.0.1:{acl_redis.port}/0?conn_retries=0"

    error = await failure_of(lambda: RedisArqQueue.from_url(url), caplog)

    assert isinstance(error, AuthenticationError)
    assert str(error) == "invalid username-password pair or user is disabled."
    assert [
        link
        for link in exception_chain(error)
        if WRONG_PASSWORD in f"{link} {link!r} {link.args!r}"
    ] == []
    assert WRONG_PASSWORD not in caplog.text
