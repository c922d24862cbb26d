"""MkDocs hook: the repository's CONTRIBUTING.md is also a page of the site."""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

CONTRIBUTING = Path(__file__).resolve().parent.parent / "CONTRIBUTING.md"
PAGE = "contributing.md"
REPOSITORY_LINK = re.compile(r"\]\((?:\.\./)+CONTRIBUTING\.md\)")
"""A link from a page in docs/ to the file at the repository's root."""


def on_files(files: Files, *, config: MkDocsConfig) -> Files:
    """Publish CONTRIBUTING.md, which lives outside docs/, as `PAGE`."""
    files.append(File.generated(config, PAGE, abs_src_path=str(CONTRIBUTING)))
    return files


def on_page_markdown(markdown: str, *, page: Page, **_: object) -> str:
    """Point the pages' links to the repository's CONTRIBUTING.md at `PAGE`."""
    target = get_relative_url(PAGE, page.file.src_uri)
    return REPOSITORY_LINK.sub(f"]({target})", markdown)
