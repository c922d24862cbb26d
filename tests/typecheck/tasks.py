"""Typed tasks shared by the type-checking cases (declarations only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from queue_core import task


@dataclass
class Report:
    """What `build_report` returns."""

    month: str
    pages: int


@task
async def build_report(ctx: dict[Any, Any], month: str, pages: int = 1) -> Report:  # noqa: ARG001
    """A task declared bare."""
    return Report(month, pages)


@task(name="reports.send", timeout=60, keep_result=0, max_tries=3)
async def send_report(
    ctx: dict[Any, Any],  # noqa: ARG001
    address: str,
    *,
    urgent: bool = False,
) -> bool:
    """A task declared with arq's options."""
    return urgent and "@" in address
