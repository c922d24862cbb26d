"""The depth chart's samples, and how values are bounded for display."""

from __future__ import annotations

import time

import pytest
from typing_extensions import override

from queue_browser._display import DepthHistory, show_error, show_value
from queue_core import QueueCounts


def _at(monkeypatch: pytest.MonkeyPatch, moment: float) -> None:
    monkeypatch.setattr(time, "monotonic", lambda: moment)


def test_the_chart_keeps_one_sample_per_interval_and_draws_depth_over_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = DepthHistory()
    for moment, depth in [(0.0, 0), (30.0, 10), (31.0, 5)]:
        _at(monkeypatch, moment)
        history.record([QueueCounts("q", depth, 0, 0)])
    _at(monkeypatch, 60.0)

    chart = history.chart("q", 300, 44)

    assert chart.line == "0.0,43.0 150.0,3.0 300.0,3.0"
    assert chart.area.startswith("0.0,44 ")
    assert chart.area.endswith(" 300.0,44")
    assert (chart.peak, chart.minutes) == (10, 1)
    assert history.chart("other", 300, 44).line == ""


def test_samples_older_than_the_history_are_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    history = DepthHistory()
    for moment, depth in [(0.0, 50), (300.0, 1), (700.0, 2)]:
        _at(monkeypatch, moment)
        history.record([QueueCounts("q", depth, 0, 0)])

    chart = history.chart("q", 300, 44)

    assert chart.peak == 2
    assert chart.minutes == 7


def test_a_value_whose_repr_fails_is_shown_by_its_type_not_raised() -> None:
    class Broken:
        @override
        def __repr__(self) -> str:
            raise RuntimeError

    assert show_value(Broken()).startswith("<Broken instance at 0x")
    assert show_value({"a": [1, 2]}) == "{'a': [1, 2]}"
    assert show_error("not an exception") == "'not an exception'"
    assert show_error(KeyError("k")) == "KeyError: 'k'"


@pytest.mark.parametrize(
    "value",
    [
        (1, "two", 3.0, None, True, b"x"),
        {"a": [1, 2], "b": {"c": "d"}},
        ("x" * 900,),
        [list(range(10)) for _ in range(10)],
    ],
)
def test_small_values_show_exactly_as_their_repr(value: object) -> None:
    assert show_value(value) == repr(value)


@pytest.mark.parametrize(
    "value",
    [
        "x" * 100_000,
        list(range(100_000)),
        {str(n): "y" * 5000 for n in range(1000)},
        [[[[["deep"] * 100] * 100] * 100]],
    ],
    ids=["string", "list", "dict", "nested"],
)
def test_large_values_show_bounded(value: object) -> None:
    shown = show_value(value)

    assert len(shown) <= 1000
    assert "..." in shown or shown.endswith("…")
