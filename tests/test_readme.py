"""The README shows the two commands and an example that really runs."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from queue_core import JobStatus, RedisArqQueue
from queue_core.pytest_plugin import InstallMockArqQueue
from tests.conftest import REPO_ROOT, asgi_client, load_example, start_worker
from tests.sync_docs import code_blocks, shown_text

README = (REPO_ROOT / "README.md").read_text()
PROJECT = "queue-core"
RESULT_TIMEOUT = 60.0
"""Seconds a report may take through a real worker; a guard, not a measure."""


def test_the_readme_example_is_the_tested_file_verbatim() -> None:
    [example] = [
        block
        for block in code_blocks(REPO_ROOT / "README.md")
        if block.lang == "python"
    ]

    assert example.title == "docs/examples/readme_app.py"
    assert example.body == shown_text(example.title)


def test_the_readme_shows_exactly_the_demo_and_the_test_command() -> None:
    shell_blocks = re.findall(r"```sh\n(.*?)```", README, re.DOTALL)
    commands = [
        line.split("#")[0].strip()
        for block in shell_blocks
        for line in block.splitlines()
        if line.startswith("uv ")
    ]

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
    assert done == {
        "status": "complete",
        "success": True,
        "report": {"period": "2026-Q3", "rows": 3, "try": 1},
    }


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
    for module in imported_top_level_modules(REPO_ROOT / "docs/examples" / example):
        if module in sys.stdlib_module_names:
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
