"""mypy --strict accepts correct task calls and queue openings, rejects wrong ones.

``tests/typecheck/good.py`` holds calls that must type-check, with
``assert_type`` on what they return and each ``reveal_type`` line after a
``# R: <type>`` comment; ``tests/typecheck/bad.py`` holds calls that must not, each
marked ``# E: <error code>`` on the line where mypy must report it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from mypy import api

from tests.conftest import REPO_ROOT

CASES = Path(__file__).resolve().parent / "typecheck"
GOOD = CASES / "good.py"
BAD = CASES / "bad.py"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

_REPORT = re.compile(
    r"^(?P<path>[^:]+):(?P<line>\d+): (?P<kind>error|note): (?P<message>.*?)"
    r"(?:  \[(?P<code>[a-z-]+)\])?$"
)

Found = dict[str, dict[int, set[str]]]
"""Per file name, per line: error codes, or revealed types."""


@pytest.fixture(scope="module")
def mypy_reports() -> tuple[Found, Found, str]:
    """Errors and revealed types of one ``mypy --strict`` run over the cases."""
    stdout, stderr, _ = api.run(
        [
            "--config-file",
            str(REPO_ROOT / "pyproject.toml"),
            "--strict",
            "--no-pretty",
            "--show-error-codes",
            str(GOOD),
            str(BAD),
        ]
    )
    errors: Found = defaultdict(lambda: defaultdict(set))
    revealed: Found = defaultdict(lambda: defaultdict(set))
    for line in stdout.splitlines():
        match = _REPORT.match(line)
        if match is None:
            continue
        name, number = Path(match["path"]).name, int(match["line"])
        if match["kind"] == "error":
            errors[name][number].add(match["code"] or "")
        elif match["message"].startswith("Revealed type is "):
            revealed[name][number].add(match["message"][18:-1])
    return errors, revealed, stdout + stderr


def _errors_marked(path: Path) -> dict[int, set[str]]:
    """Per line number: the error codes its ``# E: code, ...`` comment names."""
    expected: dict[int, set[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        _, found, codes = line.partition("# E: ")
        if found:
            expected[number] = {code.strip() for code in codes.split(",")}
    return expected


def _reveals_marked(path: Path) -> dict[int, set[str]]:
    """Per line number: the type a ``# R: type`` comment above it names."""
    expected: dict[int, set[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        _, found, revealed = line.partition("# R: ")
        if found:
            expected[number + 1] = {revealed.strip()}
    return expected


def test_mypy_strict_accepts_every_correct_task_call(
    mypy_reports: tuple[Found, Found, str],
) -> None:
    errors, _, output = mypy_reports

    assert dict(errors[GOOD.name]) == {}, output


def test_mypy_strict_infers_the_task_types_the_good_file_expects(
    mypy_reports: tuple[Found, Found, str],
) -> None:
    _, revealed, output = mypy_reports

    expected = _reveals_marked(GOOD)
    assert expected, "the good file reveals nothing"
    assert dict(revealed[GOOD.name]) == expected, output


def test_mypy_strict_rejects_each_wrong_call_on_its_line(
    mypy_reports: tuple[Found, Found, str],
) -> None:
    errors, _, output = mypy_reports

    expected = _errors_marked(BAD)
    assert len(expected) >= 20
    assert dict(errors[BAD.name]) == expected, output
