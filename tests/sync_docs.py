"""Rewrite each titled code block in the Markdown pages from the file it names.

Pages show code as fenced blocks titled with a tested file:
``title="docs/examples/x.py"`` shows the whole file, ``title="x.py:name"``
the lines between ``# --8<-- [start:name]`` and ``# --8<-- [end:name]`` in
it. tests/test_docs.py fails when a block and its file differ; after editing
an example, ``uv run python -m tests.sync_docs`` copies it into the pages.
"""

from __future__ import annotations

import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,})(?P<info>[^`\n]*)\n"
    r"(?P<body>(?:.*\n)*?)(?P=indent)(?P=fence)[ \t]*$",
    re.MULTILINE,
)
TITLE = re.compile(r'\btitle="(?P<title>[^"]+)"')
BACKTICK_RUN = re.compile(r"^[ \t]*(`{3,})", re.MULTILINE)


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of a page, its body without the fence's indentation."""

    page: Path
    line: int
    lang: str
    title: str | None
    body: str

    @property
    def where(self) -> str:
        """``page:line`` of the opening fence, for messages."""
        return f"{self.page.relative_to(REPO_ROOT)}:{self.line}"


def pages(root: Path = REPO_ROOT) -> list[Path]:
    """Every Markdown page of the project: the top-level files, docs/ and examples/."""
    found = [*root.glob("*.md"), *(root / "docs").rglob("*.md")]
    return sorted([*found, *(root / "examples").rglob("*.md")])


def code_blocks(page: Path) -> list[CodeBlock]:
    """The fenced code blocks of *page*, in order."""
    text = page.read_text()
    return [
        CodeBlock(
            page=page,
            line=text.count("\n", 0, fence.start()) + 1,
            lang=next(iter(fence["info"].split()), ""),
            title=_title(fence),
            body=_dedented(fence["body"], fence["indent"]),
        )
        for fence in FENCE.finditer(text)
    ]


def shown_text(title: str, root: Path = REPO_ROOT) -> str:
    """What a block titled *title* shows: a whole file, or one section of it."""
    path, _, section = title.partition(":")
    text = (root / path).read_text()
    if text and not text.endswith("\n"):
        text += "\n"
    if not section:
        return text
    lines = text.splitlines(keepends=True)
    starts = [n for n, line in enumerate(lines) if f"--8<-- [start:{section}]" in line]
    ends = [n for n, line in enumerate(lines) if f"--8<-- [end:{section}]" in line]
    if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
        msg = f"{path} needs one [start:{section}] marker, then one [end:{section}]"
        raise ValueError(msg)
    return "".join(lines[starts[0] + 1 : ends[0]])


def synced(text: str, root: Path = REPO_ROOT) -> str:
    """*text* with every titled block's body replaced by what its title names."""

    def rewrite(fence: re.Match[str]) -> str:
        title = _title(fence)
        if title is None:
            return fence[0]
        body = shown_text(title, root)
        longest = max((len(run) for run in BACKTICK_RUN.findall(body)), default=0)
        marks = fence["fence"] if len(fence["fence"]) > longest else "`" * (longest + 1)
        indent = fence["indent"]
        opening = f"{indent}{marks}{fence['info']}\n"
        return f"{opening}{textwrap.indent(body, indent)}{indent}{marks}"

    return FENCE.sub(rewrite, text)


def main() -> int:
    """Rewrite the stale pages and name them."""
    for page in pages():
        text = page.read_text()
        new = synced(text)
        if new != text:
            page.write_text(new)
            sys.stdout.write(f"rewrote {page.relative_to(REPO_ROOT)}\n")
    return 0


def _title(fence: re.Match[str]) -> str | None:
    found = TITLE.search(fence["info"])
    return found["title"] if found else None


def _dedented(body: str, indent: str) -> str:
    return "".join(line.removeprefix(indent) for line in body.splitlines(keepends=True))


if __name__ == "__main__":
    sys.exit(main())
