"""The docs build, and every code example in them is a real file that works."""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from textwrap import dedent

import pytest
from arq.connections import RedisSettings
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from queue_core import (
    ArqMode,
    JobSerializationError,
    JobStatus,
    MockArqQueue,
    RemoteJobError,
    open_arq_queue,
)
from queue_core.pytest_plugin import InstallMockArqQueue
from queue_fastapi import arq_dependency
from tests.conftest import REPO_ROOT, asgi_client, load_example, run_python
from tests.sync_docs import CodeBlock, code_blocks, pages, shown_text, synced

DOCS_EXAMPLES = REPO_ROOT / "docs" / "examples"
BLOCKS = [block for page in pages() for block in code_blocks(page)]
TITLED = [block for block in BLOCKS if block.title is not None]
PYTHON = {"python", "py", "python3"}
TESTED_CODE = ("docs/examples/", "examples/", "tests/")
"""Where the Python a page shows lives: files the suite runs, tests and checks."""
INCLUDE_LINE = re.compile(r"^\s*-{2,}8<-{2,}")
"""A pymdownx.snippets include (``--8<-- "file"``): a reader of docs/ sees no code."""
SCRIPT_TIMEOUT = 120

SAFIR_ARQ_ALL = {
    "ArqJobError",
    "ArqMode",
    "ArqQueue",
    "JobMetadata",
    "JobNotFound",
    "JobNotQueued",
    "JobResult",
    "JobResultUnavailable",
    "MockArqQueue",
    "RedisArqQueue",
    "WorkerSettings",
    "build_arq_redis_settings",
}
"""``safir.arq.__all__`` in safir-arq 15.2."""


# The pages


@pytest.mark.parametrize("block", TITLED, ids=lambda block: block.where)
def test_a_titled_block_shows_exactly_the_file_or_section_it_names(
    block: CodeBlock,
) -> None:
    assert block.title is not None
    expected = shown_text(block.title)
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        block.body.splitlines(keepends=True),
        fromfile=block.title,
        tofile=block.where,
    )
    assert block.body == expected, (
        f"{block.where} differs from {block.title}; "
        f"`uv run python -m tests.sync_docs` copies it:\n{''.join(diff)}"
    )


def test_every_python_block_is_titled_with_the_tested_file_it_shows() -> None:
    python = [block for block in BLOCKS if block.lang in PYTHON]
    assert python
    for block in python:
        assert block.title is not None, f"{block.where}: untitled Python"
        assert block.title.startswith(TESTED_CODE), f"{block.where}: {block.title}"


def test_every_docs_example_is_shown_in_a_page() -> None:
    shown = {block.title.partition(":")[0] for block in TITLED if block.title}
    examples = sorted(DOCS_EXAMPLES.glob("*.py"))
    assert examples
    for example in examples:
        assert str(example.relative_to(REPO_ROOT)) in shown, example.name


def test_no_page_includes_a_file_with_a_snippet_line() -> None:
    for page in pages():
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            assert not INCLUDE_LINE.match(line), f"{page.name}:{number}: {line}"


def test_sync_docs_copies_files_and_sections_into_titled_blocks_only(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.txt").write_text(
        "intro\n<!-- --8<-- [start:fenced] -->\n```\n<!-- --8<-- [end:fenced] -->\n"
    )
    page = dedent("""\
        ```text title="notes.txt"
        stale
        ```
        ```sh
        untitled stays
        ```
        !!! note "Indented"
            ```text title="notes.txt:fenced"
            ```
        """)
    assert synced(page, root=tmp_path) == dedent("""\
        ````text title="notes.txt"
        intro
        <!-- --8<-- [start:fenced] -->
        ```
        <!-- --8<-- [end:fenced] -->
        ````
        ```sh
        untitled stays
        ```
        !!! note "Indented"
            ````text title="notes.txt:fenced"
            ```
            ````
        """)


@pytest.mark.slow
def test_the_site_builds_strictly_with_the_examples_in_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=REPO_ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    fastapi_page = (site / "fastapi" / "index.html").read_text()
    assert "build_worker_settings" in fastapi_page
    assert "--8&lt;--" not in fastapi_page
    assert "examples/fastapi_app/main.py" in fastapi_page  # a block's title
    contributing = (site / "contributing" / "index.html").read_text()
    assert "Edit the file, never the block" in contributing
    assert 'href="contributing/"' in (site / "index.html").read_text()
    assert "ArqQueue" in (site / "reference" / "queue_core" / "index.html").read_text()


# docs/examples, one by one


def test_quickstart_greets_through_an_embedded_worker() -> None:
    done = run_python("docs/examples/quickstart.py")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Hello, world!"


def test_embedded_example_doubles_through_its_own_server_and_worker() -> None:
    done = run_python("docs/examples/embedded.py")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("redis-server ")
    assert "redis://127.0.0.1:" in lines[0]
    assert lines[-1] == f"double(21) = {2 * 21}"


def test_the_testing_page_tests_pass_under_pytest() -> None:
    done = run_python(
        "-m",
        "pytest",
        "docs/examples/test_with_mock.py",
        "docs/examples/test_running_jobs.py",
        "-q",
        "-p",
        "no:cacheprovider",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_the_progress_page_tests_pass_under_pytest() -> None:
    done = run_python(
        "-m", "pytest", "docs/examples/test_progress.py", "-q", "-p", "no:cacheprovider"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


async def test_starlette_example_queues_a_report_on_the_installed_mock(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    example = load_example("starlette_app")
    mock = install_mock_arq_queue(example.app)
    async with asgi_client(example.app) as client:
        response = await client.post("/reports", params={"period": "2024-05"})
    [job] = mock.jobs(name="build_report")
    assert response.status_code == 202
    assert response.json() == {"job_id": job.id, "status": JobStatus.queued}
    assert job.args == ("2024-05",)


async def test_litestar_example_queues_a_report_on_the_installed_mock(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    example = load_example("litestar_plugin")
    mock = install_mock_arq_queue(example.app)
    async with AsyncTestClient(example.app) as client:
        response = await client.post("/reports", params={"period": "2024-05"})
    [job] = mock.jobs(name="build_report")
    assert response.status_code == 202
    assert response.json() == {"job_id": job.id, "status": JobStatus.queued}


async def test_fastapi_dependency_example_reads_jobs_from_the_safir_style_singleton(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APP_ARQ_MODE", ArqMode.test)
    example = load_example("fastapi_dependency")
    async with asgi_client(example.app) as client:
        mock = await arq_dependency()
        assert isinstance(mock, MockArqQueue)
        job = await mock.enqueue("build_report", "2024-05")
        found = await client.get(f"/jobs/{job.id}")
        missing = await client.get("/jobs/no-such-job")
    assert found.json() == {"job_id": job.id, "status": JobStatus.queued}
    assert missing.status_code == 404


async def test_worker_settings_example_runs_jobs_in_the_pool_its_startup_made() -> None:
    example = load_example("worker_settings")
    async with await open_arq_queue(
        ArqMode.embedded, worker_settings=example.WorkerSettings
    ) as queue:
        job = await queue.enqueue("build_report", "2024-05")
        result = await queue.wait_for_result(job.id, timeout=SCRIPT_TIMEOUT)
    assert result.result["period"] == "2024-05"
    assert result.result["rendered_by"].startswith("render_")


async def test_serializers_example_carries_results_and_errors_as_json() -> None:
    example = load_example("serializers")
    async with await open_arq_queue(
        ArqMode.embedded, worker_settings=example.worker_settings
    ) as queue:
        quotient = await queue.enqueue("divide", 1, 4)
        failure = await queue.enqueue("divide", 1, 0)
        done = await queue.wait_for_result(quotient.id, timeout=SCRIPT_TIMEOUT)
        failed = await queue.wait_for_result(failure.id, timeout=SCRIPT_TIMEOUT)
    assert done.result == 1 / 4
    assert not failed.success
    assert isinstance(failed.result, RemoteJobError)
    assert failed.result.type_name == "builtins.ZeroDivisionError"


async def test_serializers_example_mock_refuses_what_json_cannot_carry() -> None:
    example = load_example("serializers")
    with pytest.raises(JobSerializationError):
        await example.mock.enqueue("divide", datetime.now(tz=UTC), 1)
    assert example.mock.jobs() == []


@pytest.mark.redis
async def test_serializers_example_client_writes_json_to_redis(
    redis_url: str, redis_settings: RedisSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = load_example("serializers")
    monkeypatch.setattr(example, "REDIS", redis_settings)
    async with await example.open_queue() as queue:
        job = await queue.enqueue("divide", 1, 4)
    client = Redis.from_url(redis_url)
    try:
        payload = await client.get(f"arq:job:{job.id}")
    finally:
        await client.aclose()
    assert payload is not None
    stored = json.loads(payload)
    assert (stored["f"], stored["a"]) == ("divide", [1, 4])


def test_redis_url_examples_build_the_settings_they_describe() -> None:
    example = load_example("redis_urls")
    assert (example.plain.host, example.plain.port, example.plain.database) == (
        "redis.example.internal",
        6379,
        2,
    )
    assert example.tls.ssl
    assert example.tls.ssl_ca_certs == "/etc/ssl/redis-ca.pem"
    assert example.tls.ssl_cert_reqs == "required"
    assert example.socket.unix_socket_path == "/run/redis/redis.sock"
    assert example.socket.database == 1
    assert example.secret.password == "s3cret"
    assert "s3cret" not in repr(example.secret)
    assert (example.tuned.conn_timeout, example.tuned.max_connections) == (5, 50)
    assert example.tuned.socket_timeout == 2
    assert example.sentinel.sentinel is True
    assert example.sentinel.sentinel_master == "mymaster"
    assert len(example.sentinel.host) == 3


def test_redis_url_examples_print_without_passwords() -> None:
    done = run_python("docs/examples/redis_urls.py")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 6
    assert "s3cret" not in done.stdout


def test_migration_example_imports_every_name_safir_arq_exported() -> None:
    example = load_example("migrate_imports")
    assert set(example.__all__) == SAFIR_ARQ_ALL | {"ArqDependency", "arq_dependency"}
    for name in example.__all__:
        assert getattr(example, name) is not None
