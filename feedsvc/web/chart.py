"""A server-rendered SVG line chart of rate series: one line each, axes, title and desc; an HTML legend.

Colours are SVG presentation attributes, not ``style``: the site's CSP (``style-src 'self'``) forbids
inline styles but not attributes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

# Okabe–Ito colours (told apart with colour-blindness too), each readable on light and dark backgrounds.
PALETTE = ("#0a58ca", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c6d31", "#7f7f7f")
GAP_DAYS = 10  # weekends and holidays are normal gaps, drawn through; longer ones mean missing data
MAX_POINTS = 1200  # more points than pixels only makes the page heavier


@dataclass(frozen=True)
class Layout:
    """The chart's size in SVG units, room for its labels, and how many dates its axis names.

    The SVG scales to its box, text with it: a phone gets a layout drawn for its width, so its labels
    stay at about their font size instead of shrinking to a third.
    """

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    dates: int
    font_size: int


WIDE = Layout(960, 380, 76, 32, 12, 36, 7, 13)
NARROW = Layout(360, 260, 54, 14, 10, 34, 3, 11)


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 × 10ⁿ) that cuts ``span`` into about ``ticks`` parts."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def value_ticks(low: float, high: float) -> tuple[list[float], int]:
    """Tick values covering [low, high] and how many decimals their labels need."""
    if high == low:  # a flat series still needs an axis
        pad = abs(low) * 0.01 or 1.0
        low, high = low - pad, high + pad
    step = nice_step(high - low)
    first = math.floor(low / step) * step
    ticks = [first + i * step for i in range(int(math.ceil((high - first) / step)) + 1)]
    decimals = max(0, -math.floor(math.log10(step)))
    return ticks, decimals


def date_ticks(first: date, last: date, count: int = 6) -> list[date]:
    """Up to ``count`` dates evenly spaced in time from ``first`` to ``last`` (both included)."""
    span = (last - first).days
    if span < count:
        return [date.fromordinal(first.toordinal() + i) for i in range(span + 1)]
    return [date.fromordinal(first.toordinal() + round(i * span / (count - 1))) for i in range(count)]


def thin(points: Sequence[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """Keep at most MAX_POINTS points, evenly spaced, always keeping the last."""
    if len(points) <= MAX_POINTS:
        return list(points)
    step = math.ceil(len(points) / MAX_POINTS)
    return [*points[::step][: MAX_POINTS - 1], points[-1]]


@dataclass(frozen=True)
class Line:
    """One series to draw: its legend label and its (date, value) points, oldest first."""

    label: str
    points: Sequence[tuple[date, Decimal]]


@dataclass(frozen=True)
class Frame:
    """Maps dates and values to SVG coordinates inside the plot area of a layout."""

    layout: Layout
    first_day: date
    span_days: int
    low: float
    high: float

    def x(self, day: date) -> float:
        """Horizontal position of ``day``."""
        box = self.layout
        return box.left + (box.width - box.left - box.right) * (day - self.first_day).days / self.span_days

    def y(self, value: float) -> float:
        """Vertical position of ``value``."""
        box = self.layout
        return box.top + (box.height - box.top - box.bottom) * (self.high - value) / (self.high - self.low)


def _value_axis(frame: Frame, ticks: list[float], decimals: int) -> str:
    box = frame.layout
    lines = [
        f'<line x1="{box.left}" x2="{box.width - box.right}" y1="{frame.y(t):.1f}" y2="{frame.y(t):.1f}" '
        f'stroke="currentColor" stroke-opacity="0.15"/>'
        f'<text x="{box.left - 6}" y="{frame.y(t) + 4:.1f}">{t:.{decimals}f}</text>'
        for t in ticks
    ]
    return '<g class="y-axis" fill="currentColor" text-anchor="end">' + "".join(lines) + "</g>"


def _date_axis(frame: Frame, last_day: date) -> str:
    box = frame.layout
    base = box.height - box.bottom
    end = box.width - box.right
    parts = [f'<line x1="{box.left}" x2="{end}" y1="{base}" y2="{base}" stroke="currentColor"/>']
    days = date_ticks(frame.first_day, last_day, box.dates)
    for number, day in enumerate(days):
        at = f"{frame.x(day):.1f}"
        # The outer labels align with the plot's ends, so they never run past the picture's edges.
        anchor = "start" if number == 0 and len(days) > 1 else "end" if number == len(days) - 1 else "middle"
        parts.append(f'<line x1="{at}" x2="{at}" y1="{base}" y2="{base + 5}" stroke="currentColor"/>'
                     f'<text x="{at}" y="{box.height - 14}" text-anchor="{anchor}">{day.isoformat()}</text>')
    return '<g class="x-axis" fill="currentColor">' + "".join(parts) + "</g>"


def _breaks(points: Sequence[tuple[date, Decimal]]) -> list[int]:
    """The index of each point that follows a real gap (more than GAP_DAYS without data)."""
    return [i for i in range(1, len(points)) if (points[i][0] - points[i - 1][0]).days > GAP_DAYS]


def _gap_bands(frame: Frame, lines: Sequence[Line]) -> str:
    """A faint band over each real gap (once, however many lines share it), titled with its dates."""
    box = frame.layout
    gaps = sorted({(points[i - 1][0], points[i][0]) for points in (line.points for line in lines)
                   for i in _breaks(points)})
    return "".join(
        f'<rect x="{frame.x(start):.1f}" y="{box.top}" width="{frame.x(end) - frame.x(start):.1f}" '
        f'height="{box.height - box.top - box.bottom}" fill="currentColor" fill-opacity="0.07">'
        f"<title>No data from {start} to {end}</title></rect>"
        for start, end in gaps
    )


def _line(frame: Frame, points: Sequence[tuple[date, Decimal]], colour: str) -> str:
    coords = [(f"{frame.x(day):.1f}", f"{frame.y(float(value)):.1f}") for day, value in points]
    # A gap of a few days (a weekend, a holiday) is drawn through; a longer one is left open (and shaded).
    breaks = _breaks(points)
    segments = [coords[a:b] for a, b in zip([0, *breaks], [*breaks, len(coords)], strict=True)]
    parts = []
    for segment in segments:
        if len(segment) == 1:  # an observation alone between gaps: a dot, since a line needs two
            cx, cy = segment[0]
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>')
        else:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round" '
                         'points="' + " ".join(f"{cx},{cy}" for cx, cy in segment) + '"/>')
    return "".join(parts)


def render_legend(labels: Sequence[str]) -> Markup:
    """The chart's legend as an HTML list: each label with its line's colour; it wraps, never overlaps."""
    items = "".join(
        f'<li><svg width="24" height="10" aria-hidden="true"><line x1="0" x2="24" y1="5" y2="5" '
        f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="4"/></svg>{escape(label)}</li>'
        for i, label in enumerate(labels)
    )
    return Markup(f'<ul class="legend">{items}</ul>')  # noqa: S704 -- escaped labels and fixed colours


def render_chart(
    lines: Sequence[Line], title: str, description: str, first: date | None = None, last: date | None = None,
    layout: Layout = WIDE, name: str = "chart",
) -> Markup:
    """An inline ``<svg>`` of ``lines`` over [first, last] in ``layout``; ``name`` keeps its ids unique."""
    lines = [Line(line.label, thin(line.points)) for line in lines if line.points]
    if not lines:
        return Markup("")
    values = [float(value) for line in lines for _, value in line.points]
    ticks, decimals = value_ticks(min(values), max(values))
    first_day = min(first or date.max, *(line.points[0][0] for line in lines))
    last_day = max(last or date.min, *(line.points[-1][0] for line in lines))
    frame = Frame(layout, first_day, max((last_day - first_day).days, 1), ticks[0], ticks[-1])
    drawn = _gap_bands(frame, lines) + "".join(_line(frame, line.points, PALETTE[i % len(PALETTE)])
                                              for i, line in enumerate(lines))
    svg = (
        f'<svg class="rate-chart {name}" role="img" aria-labelledby="{name}-title {name}-desc" '
        f'viewBox="0 0 {layout.width} {layout.height}" width="{layout.width}" height="{layout.height}" '
        f'preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg" '
        f'font-family="system-ui, sans-serif" font-size="{layout.font_size}">'
        f'<title id="{name}-title">{escape(title)}</title><desc id="{name}-desc">{escape(description)}</desc>'
        f"{_value_axis(frame, ticks, decimals)}{_date_axis(frame, last_day)}{drawn}</svg>"
    )
    return Markup(svg)  # noqa: S704 -- numbers, ISO dates and escaped text only
