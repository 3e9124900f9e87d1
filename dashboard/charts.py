"""Geometry of the dashboard's charts, drawn by the templates as SVG.

Server-rendered SVG needs no script and no inline style (the Content Security Policy
forbids both): colours come from classes in app.css. Coordinates are returned as
strings with a dot, because the templates localise numbers (a French comma would
break an SVG attribute).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: The width of every chart's drawing, in SVG user units (it scales to its box).
WIDTH = 640
LABEL_WIDTH = 190
ROW_HEIGHT = 28
BAR_HEIGHT = 18


def _n(value: float) -> str:
    return f"{value:.1f}"


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    y: str
    text_y: str
    width: str
    value_x: str
    css: str = ""


@dataclass(frozen=True)
class BarChart:
    height: int
    label_width: int
    bars: list[Bar]


def bar_chart(
    items: Sequence[tuple[str, float, str]], *, css: Sequence[str] | None = None
) -> BarChart:
    """Horizontal bars: (label, value, value as shown) per row, the longest bar full width."""
    room = WIDTH - LABEL_WIDTH - 70  # leave space for the value after the bar
    top = max((value for _label, value, _text in items), default=0) or 1
    bars = []
    for index, (label, value, text) in enumerate(items):
        y = index * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2
        width = max(room * value / top, 0)
        bars.append(
            Bar(
                label=label,
                value_text=text,
                y=_n(y),
                text_y=_n(y + BAR_HEIGHT - 4),
                width=_n(width),
                value_x=_n(LABEL_WIDTH + width + 6),
                css=css[index] if css else "",
            )
        )
    return BarChart(height=max(len(items), 1) * ROW_HEIGHT, label_width=LABEL_WIDTH, bars=bars)


@dataclass(frozen=True)
class Column:
    label: str
    value_text: str
    x: str
    label_x: str
    y: str
    height: str
    value_y: str


@dataclass(frozen=True)
class ColumnChart:
    width: int
    height: int
    base: str
    column_width: str
    columns: list[Column]
    #: Horizontal guide lines: (y, label).
    guides: list[tuple[str, str]]


def percent_columns(items: Sequence[tuple[str, float | None]]) -> ColumnChart:
    """One column per item, its height a share (0 to 1) of the full height."""
    height, top, bottom, left = 220, 20, 30, 40
    plot = height - top - bottom
    step = (WIDTH - left) / max(len(items), 1)
    columns = []
    for index, (label, share) in enumerate(items):
        h = plot * (share or 0)
        x = left + index * step + step * 0.15
        columns.append(
            Column(
                label=label,
                value_text="—" if share is None else f"{round(share * 100)} %",
                x=_n(x),
                label_x=_n(x + step * 0.35),
                y=_n(top + plot - h),
                height=_n(h),
                value_y=_n(top + plot - h - 5),
            )
        )
    guides = [(_n(top + plot * (1 - g)), f"{round(g * 100)} %") for g in (0, 0.5, 1)]
    return ColumnChart(
        width=WIDTH,
        height=height,
        base=_n(top + plot),
        column_width=_n(step * 0.7),
        columns=columns,
        guides=guides,
    )


@dataclass(frozen=True)
class Group:
    label: str
    label_y: str
    bars: list[Bar]


@dataclass(frozen=True)
class GroupedBarChart:
    height: int
    label_width: int
    groups: list[Group]


def grouped_bars(
    groups: Sequence[tuple[str, Sequence[tuple[float, str]]]], *, css: Sequence[str]
) -> GroupedBarChart:
    """Horizontal bars in groups (one group per person, one bar per series), same scale."""
    room = WIDTH - LABEL_WIDTH - 70
    top = max((v for _label, series in groups for v, _text in series), default=0) or 1
    thin, gap = 10, 12
    out, y = [], 0.0
    for label, series in groups:
        bars = []
        for index, (value, text) in enumerate(series):
            bar_y = y + index * (thin + 2)
            width = max(room * value / top, 0)
            bars.append(
                Bar(
                    label=label,
                    value_text=text,
                    y=_n(bar_y),
                    text_y=_n(bar_y + thin - 1),
                    width=_n(width),
                    value_x=_n(LABEL_WIDTH + width + 6),
                    css=css[index],
                )
            )
        block = len(series) * (thin + 2)
        out.append(Group(label=label, label_y=_n(y + block / 2 + 4), bars=bars))
        y += block + gap
    return GroupedBarChart(height=max(int(y), ROW_HEIGHT), label_width=LABEL_WIDTH, groups=out)
