"""Draw a trace's spans as a timeline PNG: the screenshot in docs/telemetry.md.

``uv run python -m tests.telemetry.timeline SPANS.jsonl OUT.png`` draws the
spans a test saved (``QUEUE_CORE_SAVE_TRACE``), one row a span, indented under
its parent, each bar placed and sized by its start and end.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tests.telemetry.spans import Span, read_spans

WIDTH = 1100
LABEL_WIDTH = 420
ROW = 30
TOP = 56
MARGIN = 16
COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#e45756")
BACKGROUND = "#ffffff"
INK = "#222222"
GRID = "#dddddd"


def _depths(spans: list[Span]) -> dict[str, int]:
    by_id = {span["span_id"]: span for span in spans}
    depths: dict[str, int] = {}
    for span in spans:
        depth, parent = 0, span["parent_id"]
        while parent in by_id:
            depth, parent = depth + 1, by_id[parent]["parent_id"]
        depths[span["span_id"]] = depth
    return depths


def height(rows: int) -> int:
    """The drawing's height in pixels for this many spans (a row each)."""
    return TOP + ROW * rows + MARGIN


def render(spans: list[Span], path: Path) -> None:
    """Draw the spans, earliest first, to a PNG at ``path``."""
    spans = sorted(spans, key=lambda span: (span["start"], -span["end"]))
    start = min(span["start"] for span in spans)
    total = max(span["end"] for span in spans) - start
    bottom = height(len(spans))
    image = Image.new("RGB", (WIDTH, bottom), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    small = ImageFont.load_default(size=12)
    left, right = LABEL_WIDTH, WIDTH - 4 * MARGIN
    scale = (right - left) / total
    draw.text((MARGIN, 12), "One trace: request, enqueue, worker", fill=INK, font=font)
    for tick in range(6):
        x = left + (right - left) * tick / 5
        draw.line([(x, TOP - 8), (x, bottom - MARGIN)], fill=GRID)
        label = f"{total * tick / 5 / 1e6:.1f} ms"
        draw.text((x - 20, TOP - 26), label, fill=INK, font=small)
    services = sorted({str(span["service"]) for span in spans})
    depths = _depths(spans)
    for index, span in enumerate(spans):
        y = TOP + index * ROW
        colour = COLOURS[services.index(str(span["service"])) % len(COLOURS)]
        indent = 14 * depths[span["span_id"]]
        label = f"{span['name']}  ({span['kind']}, {span['service']})"
        draw.text((MARGIN + indent, y + 7), label, fill=INK, font=small)
        x0 = left + (span["start"] - start) * scale
        x1 = max(x0 + 2, left + (span["end"] - start) * scale)
        fill = "#d62728" if span["status"] == "ERROR" else colour
        draw.rectangle([(x0, y + 6), (x1, y + ROW - 6)], fill=fill)
        duration = f"{(span['end'] - span['start']) / 1e6:.2f} ms"
        text_x = x1 + 4 if x1 + 80 < right else x0 - 76
        draw.text((text_x, y + 8), duration, fill=INK, font=small)
    image.save(path)


def main(argv: list[str]) -> int:
    """Draw ``argv[0]`` (JSON lines of spans) to ``argv[1]``."""
    render(read_spans(Path(argv[0])), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
