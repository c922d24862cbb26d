"""The README shows the two commands and an example that really runs."""

from __future__ import annotations

import ast
import asyncio
import re
import shlex
import sys
import tomllib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from queue_core import JobStatus, RedisArqQueue
from queue_core.pytest_plugin import InstallMockArqQueue
from tests.conftest import (
    REPO_ROOT,
    asgi_client,
    load_example,
    served_by_uvicorn,
    start_worker,
)
from tests.sync_docs import code_blocks, shown_text
from tests.test_examples import poll_until_complete

README = (REPO_ROOT / "README.md").read_text()
SHELL_LINES = [
    line.split("#")[0].strip()
    for block in re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
    for line in block.splitlines()
]
"""The commands of the README's shell blocks, without their comments."""
EXAMPLES = REPO_ROOT / "docs" / "examples"
PROJECT = "queue-core"
RESULT_TIMEOUT = 60.0
"""Seconds a report may take through a real worker; a guard, not a measure."""
REPORT = {"period": "2026-Q3", "rows": 3, "try": 1}
"""What readme_worker's build_report returns for the period the tests ask."""


def test_the_readme_example_is_the_tested_file_verbatim() -> None:
    [example] = [
        block
        for block in code_blocks(REPO_ROOT / "README.md")
        if block.lang == "python"
    ]

    assert example.title == "docs/examples/readme_app.py"
    assert example.body == shown_text(example.title)


def test_the_readme_shows_exactly_the_demo_and_the_test_command() -> None:
    commands = [line for line in SHELL_LINES if line.startswith("uv ")]

    assert commands == ["uv run queue-core demo", "uv run pytest"]


async def test_the_readme_app_queues_a_report_and_serves_its_result(
    install_mock_arq_queue: InstallMockArqQueue,
) -> None:
    app = load_example("readme_app").app
    mock = install_mock_arq_queue(app)
    async with asgi_client(app) as client:
        created = await client.post("/reports", params={"period": "2026-Q3"})
        job_id = created.json()["job_id"]
        queued = (await client.get(f"/reports/{job_id}")).json()
        await mock.set_complete(job_id, result={"rows": 3})
        done = (await client.get(f"/reports/{job_id}")).json()
        missing = await client.get("/reports/nope")

    assert created.status_code == 202
    assert [job.args for job in mock.jobs(name="build_report")] == [("2026-Q3",)]
    assert queued == {"status": JobStatus.queued}
    assert done == {"status": "complete", "success": True, "report": {"rows": 3}}
    assert missing.status_code == 404


def test_the_readme_links_to_its_worker_which_reads_the_same_variable() -> None:
    worker = (REPO_ROOT / "docs/examples/readme_worker.py").read_text()
    app = (REPO_ROOT / "docs/examples/readme_app.py").read_text()

    assert "(docs/examples/readme_worker.py)" in README
    assert 'os.environ.get("REDIS_URL"' in app
    assert 'os.environ.get("REDIS_URL"' in worker


async def test_the_readme_app_and_its_worker_build_a_report_on_redis(
    redis_url: str,
    redis_queue: RedisArqQueue,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    worker = start_worker(
        redis_url,
        "arq:queue",
        tmp_path,
        settings_path="docs.examples.readme_worker.WorkerSettings",
        env={"REDIS_URL": redis_url},
    )
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("ARQ_MODE", "production")
    app = load_example("readme_app").app
    try:
        async with asgi_client(app) as client:
            created = await client.post("/reports", params={"period": "2026-Q3"})
            job_id = created.json()["job_id"]
            await redis_queue.wait_for_result(job_id, timeout=RESULT_TIMEOUT)
            done = (await client.get(f"/reports/{job_id}")).json()
    finally:
        worker.stop()

    assert created.status_code == 202
    assert done == {"status": "complete", "success": True, "report": REPORT}


async def test_the_readme_app_in_embedded_mode_runs_its_reports_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ARQ_MODE", "embedded")
    app = load_example("readme_app").app
    async with asgi_client(app) as client:
        created = await client.post("/reports", params={"period": "2026-Q3"})
        done = await poll_until_complete(client, f"/reports/{created.json()['job_id']}")

    assert created.status_code == 202
    assert created.json()["status"] == JobStatus.queued
    assert done == {"status": "complete", "success": True, "report": REPORT}


@pytest.fixture
def readme_server(tmp_path: Path) -> Iterator[str]:
    """The README's serve command, run in docs/examples; the URL it serves."""
    [command] = [line for line in SHELL_LINES if "uvicorn readme_app:app" in line]
    *assignments, program, target = shlex.split(command)
    assert program == "uvicorn", command
    with served_by_uvicorn(
        target,
        tmp_path / "uvicorn.log",
        cwd=EXAMPLES,
        env=dict(assignment.split("=", 1) for assignment in assignments),
    ) as url:
        yield url


async def test_the_readmes_serve_command_runs_a_report_to_completion(
    readme_server: str,
) -> None:
    async with httpx.AsyncClient(base_url=readme_server) as client:
        created = await post_once_serving(client, "/reports?period=2026-Q3")
        done = await poll_until_complete(client, f"/reports/{created.json()['job_id']}")

    assert created.status_code == 202
    assert done == {"status": "complete", "success": True, "report": REPORT}


async def post_once_serving(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """POST to a server that is still starting, as soon as it accepts connections."""
    async with asyncio.timeout(RESULT_TIMEOUT):
        while True:
            try:
                return await client.post(url)
            except httpx.ConnectError:
                await asyncio.sleep(0.1)


def distributions_installed_with(extras: frozenset[str]) -> set[str]:
    """Every distribution ``pip install "queue-core[extras]"`` brings, by metadata."""
    found: set[tuple[str, frozenset[str]]] = set()
    todo = [(PROJECT, extras)]
    while todo:
        name, wanted = todo.pop()
        if (canonicalize_name(name), wanted) in found:
            continue
        found.add((canonicalize_name(name), wanted))
        for line in metadata.requires(name) or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is None or any(
                marker.evaluate({"extra": extra}) for extra in wanted
            ):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return {name for name, _ in found}


def imported_top_level_modules(path: Path) -> set[str]:
    """The top-level names a file imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


@pytest.mark.parametrize(
    ("example", "extras"),
    [
        ("readme_app.py", {"fastapi"}),
        ("readme_worker.py", {"fastapi"}),
        ("worker_settings.py", set()),
        ("plain_worker_settings.py", {"otel"}),
    ],
)
def test_an_example_imports_only_what_installing_queue_core_with_its_extras_brings(
    example: str, extras: set[str]
) -> None:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    own = {
        Path(package).name
        for package in pyproject["tool"]["hatch"]["build"]["targets"]["wheel"][
            "packages"
        ]
    }
    installed = distributions_installed_with(frozenset(extras))
    providers = metadata.packages_distributions()

    missing = set()
    for module in imported_top_level_modules(EXAMPLES / example):
        if module in sys.stdlib_module_names or (EXAMPLES / f"{module}.py").exists():
            continue
        if module in own:
            shim_extra = module.removeprefix("queue_")
            if shim_extra != "core" and shim_extra not in extras:
                missing.add(module)
            continue
        dists = {canonicalize_name(d) for d in providers.get(module, [module])}
        if not dists & installed:
            missing.add(module)

    assert missing == set()
