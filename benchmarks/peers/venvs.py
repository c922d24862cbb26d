"""Each peer in a virtualenv of its own, made with uv on first use.

The peers cannot share queue-core's environment: taskiq-redis needs
redis-py 7 or later, queue-core (through arq) redis-py below 6, and uv
resolves every dependency group of a project together. So each peer gets
``benchmarks/.venvs/NAME`` (git-ignored), on this interpreter's Python,
with the requirements in ``benchmarks/peers/requirements/NAME.txt``
installed from the package index. A stamp of the requirements and the
Python version says whether an existing virtualenv is still right.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

VENVS = Path(__file__).resolve().parent.parent / ".venvs"
STAMP = "benchmark-requirements.txt"
INSTALL_TIMEOUT = 900


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if found is None:
        msg = "uv is needed to install the peers: https://docs.astral.sh/uv/"
        raise RuntimeError(msg)
    return found


def python_of(venv: Path) -> Path:
    """A virtualenv's interpreter."""
    return venv / "bin" / "python"


def ensure(name: str, requirements: Path, *, root: Path = VENVS) -> Path:
    """The interpreter of ``root/name``, made or remade if out of date."""
    venv = root / name
    wanted = f"# Python {platform.python_version()}\n{requirements.read_text()}"
    stamp = venv / STAMP
    if python_of(venv).is_file() and stamp.is_file() and stamp.read_text() == wanted:
        return python_of(venv)
    print(f"installing {name} into {venv}", file=sys.stderr, flush=True)
    uv = _uv()
    for argv in (
        [uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(venv)],
        [
            uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python_of(venv)),
            "--requirement",
            str(requirements),
        ],
    ):
        subprocess.run(argv, check=True, timeout=INSTALL_TIMEOUT)
    stamp.write_text(wanted)
    return python_of(venv)
