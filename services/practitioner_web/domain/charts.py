"""Bar charts of the person-measured results, drawn as SVG on the server: a browser needs no chart
library, and the numbers stay in the page as text (each bar is labelled, and the table beside it
holds the same figures)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

BAR_HEIGHT = 28
GAP = 12
LABEL_WIDTH = 260
CHART_WIDTH = 640


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT // 2 + 6


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: tuple[Bar, ...]
    height: int
    label_width: int = LABEL_WIDTH
    width: int = CHART_WIDTH

    @property
    def description(self) -> str:
        return "; ".join(f"{b.label}: {b.value}" for b in self.bars)


def bar_chart(title: str, values: Sequence[tuple[str, int]]) -> BarChart:
    """Horizontal bars scaled to the largest value (all zero: no bar is drawn)."""
    largest = max((v for _, v in values), default=0)
    room = CHART_WIDTH - LABEL_WIDTH - 60
    bars = tuple(
        Bar(
            label=label,
            value=value,
            y=GAP + n * (BAR_HEIGHT + GAP),
            width=round(room * value / largest) if largest else 0,
        )
        for n, (label, value) in enumerate(values)
    )
    return BarChart(title, bars, height=GAP + len(bars) * (BAR_HEIGHT + GAP))


CHARTED_TABLES = ("SG4a", "LOCAL-MSP1", "LOCAL-MSP2")
"""The person-measured results: were they asked, did they say, was it achieved in their view;
each outcome's achievement; how the process felt."""


def chart_of_table(table: Mapping[str, Any]) -> BarChart:
    """A table's cells summed over the kinds of enquiry (its totals left out), one bar each."""
    sums: dict[str, int] = {}
    for cell in table["cells"]:
        if "total" in f"{cell['enquiry_type']} {cell['category']} {cell['subcategory']}".lower():
            continue
        label = cell["category"] + (f": {cell['subcategory']}" if cell["subcategory"] else "")
        sums[label] = sums.get(label, 0) + int(cell["value"])
    return bar_chart(f"{table['reference']} {table['title']}", list(sums.items()))
