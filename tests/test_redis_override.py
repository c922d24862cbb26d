"""redis-py 6 to 8 over arq's cap, installed exactly as docs/index.md says.

Each way the page gives (uv's override in the app's pyproject.toml; pip,
then redis-py again) builds a fresh environment from this checkout's wheel
and the package index, where a real arq worker runs a job our client queued.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from arq.connections import RedisSettings

from tests.conftest import REPO_ROOT, run_ok, start_worker, uv_path

pytestmark = [pytest.mark.slow, pytest.mark.packaging]

APP_PROJECT = REPO_ROOT / "docs" / "examples" / "redis_override" / "pyproject.toml"
APP = REPO_ROOT / "tests" / "override_app.py"
PIP_UPGRADE = "redis[hiredis]>=6,<9"
"""What the page has pip install after queue-core."""
ARQS_WARNINGS = (
    "ignore::DeprecationWarning:arq.connections,ignore::DeprecationWarning:arq.worker"
)
"""The page's filter for the DeprecationWarnings arq's worker raises."""


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment, without what points at the suite's own venv."""
    own = {"VIRTUAL_ENV", "PYTHONPATH", "UV_PROJECT_ENVIRONMENT"}
    return {
        **{key: value for key, value in os.environ.items() if key not in own},
        **extra,
    }


def _with_uv(project: Path, wheel: Path) -> Path:
    """The page's pyproject.toml, with queue-core taken from the wheel; uv sync."""
    local = f'\n[tool.uv.sources]\nqueue-core = {{ path = "{wheel}" }}\n'
    (project / "pyproject.toml").write_text(APP_PROJECT.read_text() + local)
    run_ok(
        uv_path(), "sync", "--python", sys.executable, cwd=project, env=_environment()
    )
    return project / ".venv" / "bin" / "python"


def _with_pip(project: Path, wheel: Path) -> Path:
    """``pip install queue-core``, then redis-py again: pip warns and does it."""
    venv = project / ".venv"
    run_ok(sys.executable, "-m", "venv", str(venv), env=_environment())
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    run_ok(*pip, str(wheel), env=_environment())
    upgraded = run_ok(*pip, PIP_UPGRADE, env=_environment())
    warned = upgraded.stdout + upgraded.stderr
    assert "dependency conflicts" in warned
    assert "arq 0.28.0 requires redis[hiredis]<6,>=4.2.0" in warned
    return venv / "bin" / "python"


@pytest.mark.parametrize("install", [_with_uv, _with_pip], ids=["uv", "pip"])
def test_an_app_installed_as_the_docs_say_runs_on_redis_py_8_with_arqs_worker(
    install: Callable[[Path, Path], Path],
    queue_core_wheel: Path,
    redis_url: str,
    redis_settings: RedisSettings,
    tmp_path: Path,
) -> None:
    del redis_settings  # empties Redis
    project = tmp_path / "app"
    project.mkdir()
    (project / "override_app.py").write_text(APP.read_text())
    python = install(project, queue_core_wheel)

    worker = start_worker(
        redis_url,
        "arq:queue",
        tmp_path,
        settings_path="override_app.WorkerSettings",
        python=str(python),
        cwd=project,
        env=_environment(
            REDIS_URL=redis_url,
            PYTHONWARNINGS=f"error::DeprecationWarning,{ARQS_WARNINGS}",
        ),
    )
    try:
        ran = run_ok(
            str(python),
            "-W",
            "error::DeprecationWarning",
            "override_app.py",
            cwd=project,
            env=_environment(REDIS_URL=redis_url),
        )
    finally:
        worker.stop()

    found = json.loads(ran.stdout)
    assert found["result"] == 42
    assert int(found["redis"].split(".")[0]) == 8
    assert found["hiredis"] is True
    assert worker.process.returncode == 0, worker.log()
    assert "Traceback" not in worker.log()
