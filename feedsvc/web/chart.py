"""A server-rendered SVG line chart of rate series: one line each, a legend, axes, title and desc.

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

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 84, 40, 16, 40  # room for the value labels and the dates
LEGEND_ROW = 18  # height of one legend line, above the plot
# Okabe–Ito colours (told apart with colour-blindness too), each readable on light and dark backgrounds.
PALETTE = ("#0a58ca", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#8c6d31", "#7f7f7f")
MARKED_POINTS = 60
GAP_DAYS = 10  # weekends and holidays are normal gaps; longer ones mean missing data
MAX_POINTS = 1200  # more points than pixels only makes the page heavier


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
    """Maps dates and values to SVG coordinates inside the plot area."""

    first_day: date
    span_days: int
    low: float
    high: float
    top: int = TOP

    def x(self, day: date) -> float:
        """Horizontal position of ``day``."""
        return LEFT + (WIDTH - LEFT - RIGHT) * (day - self.first_day).days / self.span_days

    def y(self, value: float) -> float:
        """Vertical position of ``value``."""
        return self.top + (HEIGHT - self.top - BOTTOM) * (self.high - value) / (self.high - self.low)


def _value_axis(frame: Frame, ticks: list[float], decimals: int) -> str:
    lines = [
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{frame.y(t):.1f}" y2="{frame.y(t):.1f}" '
        f'stroke="currentColor" stroke-opacity="0.15"/>'
        f'<text x="{LEFT - 6}" y="{frame.y(t) + 4:.1f}">{t:.{decimals}f}</text>'
        for t in ticks
    ]
    return '<g class="y-axis" fill="currentColor" text-anchor="end">' + "".join(lines) + "</g>"


def _date_axis(frame: Frame, last_day: date) -> str:
    base = HEIGHT - BOTTOM
    parts = [f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" stroke="currentColor"/>']
    for day in date_ticks(frame.first_day, last_day):
        at = f"{frame.x(day):.1f}"
        parts.append(f'<line x1="{at}" x2="{at}" y1="{base}" y2="{base + 5}" stroke="currentColor"/>'
                     f'<text x="{at}" y="{HEIGHT - 14}">{day.isoformat()}</text>')
    return '<g class="x-axis" fill="currentColor" text-anchor="middle">' + "".join(parts) + "</g>"


def _line(frame: Frame, points: Sequence[tuple[date, Decimal]], colour: str) -> str:
    coords = [(f"{frame.x(day):.1f}", f"{frame.y(float(value)):.1f}") for day, value in points]
    # A gap of more than GAP_DAYS without data is left open rather than drawn as a straight line.
    breaks = [i for i in range(1, len(points)) if (points[i][0] - points[i - 1][0]).days > GAP_DAYS]
    segments = [coords[a:b] for a, b in zip([0, *breaks], [*breaks, len(coords)], strict=True)]
    parts = [
        f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="'
        + " ".join(f"{cx},{cy}" for cx, cy in segment) + '"/>'
        for segment in segments
    ]
    if len(points) <= MARKED_POINTS or breaks:  # few or scattered observations: mark each one
        parts.extend(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>' for cx, cy in coords)
    return "".join(parts)


def _legend(lines: Sequence[Line]) -> str:
    column = (WIDTH - LEFT - RIGHT) // 2  # two entries a row keep the plot tall
    parts = []
    for i, line in enumerate(lines):
        x, y = LEFT + (i % 2) * column, TOP + (i // 2) * LEGEND_ROW
        parts.append(f'<line x1="{x}" x2="{x + 24}" y1="{y + 6}" y2="{y + 6}" '
                     f'stroke="{PALETTE[i % len(PALETTE)]}" stroke-width="3"/>'
                     f'<text x="{x + 30}" y="{y + 10}">{escape(line.label)}</text>')
    return '<g class="legend" fill="currentColor">' + "".join(parts) + "</g>"


def render_chart(
    lines: Sequence[Line], title: str, description: str, first: date | None = None, last: date | None = None,
) -> Markup:
    """An inline ``<svg>`` chart of ``lines`` over [first, last]; a legend when there are several."""
    lines = [Line(line.label, thin(line.points)) for line in lines if line.points]
    if not lines:
        return Markup("")
    values = [float(value) for line in lines for _, value in line.points]
    ticks, decimals = value_ticks(min(values), max(values))
    first_day = min(first or date.max, *(line.points[0][0] for line in lines))
    last_day = max(last or date.min, *(line.points[-1][0] for line in lines))
    legend = _legend(lines) if len(lines) > 1 else ""
    top = TOP + (len(lines) + 1) // 2 * LEGEND_ROW if legend else TOP
    frame = Frame(first_day, max((last_day - first_day).days, 1), ticks[0], ticks[-1], top)
    drawn = "".join(_line(frame, line.points, PALETTE[i % len(PALETTE)]) for i, line in enumerate(lines))
    svg = (
        f'<svg class="rate-chart" role="img" aria-labelledby="chart-title chart-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">'
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>'
        f"{legend}{_value_axis(frame, ticks, decimals)}{_date_axis(frame, last_day)}{drawn}</svg>"
    )
    return Markup(svg)  # noqa: S704 -- numbers, ISO dates and escaped text only
