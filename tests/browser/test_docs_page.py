"""docs/browser.md shows the mounting examples verbatim, and its screenshot."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT

PAGE = REPO_ROOT / "docs" / "browser.md"
BLOCK = re.compile(
    r'^```python title="(?P<path>[^":]+)"\n(?P<body>.*?)^```$', re.MULTILINE | re.DOTALL
)


def test_the_browser_page_shows_each_mounting_example_file_verbatim() -> None:
    shown = {block["path"]: block["body"] for block in BLOCK.finditer(PAGE.read_text())}

    assert set(shown) == {
        f"docs/examples/browser_{name}.py"
        for name in ("fastapi", "starlette", "litestar")
    }
    for path, body in shown.items():
        assert body == (REPO_ROOT / path).read_text(), path


def test_the_browser_page_shows_a_screenshot_that_exists() -> None:
    images = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", PAGE.read_text())

    assert images == ["images/job-browser.png"]
    assert (REPO_ROOT / "docs" / images[0]).read_bytes().startswith(b"\x89PNG")
