"""A server-rendered SVG line chart of one rate series: axes, dated ticks, accessible title and desc."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 84, 40, 16, 40  # room for the value labels and the dates
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


def date_ticks(days: Sequence[date], count: int = 6) -> list[date]:
    """Up to ``count`` dates spread evenly over ``days`` (first and last included)."""
    if len(days) <= count:
        return list(days)
    return [days[round(i * (len(days) - 1) / (count - 1))] for i in range(count)]


def thin(points: Sequence[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """Keep at most MAX_POINTS points, evenly spaced, always keeping the last."""
    if len(points) <= MAX_POINTS:
        return list(points)
    step = math.ceil(len(points) / MAX_POINTS)
    return [*points[::step][: MAX_POINTS - 1], points[-1]]


def render_chart(points: Sequence[tuple[date, Decimal]], title: str, description: str) -> Markup:
    """An inline ``<svg>`` line chart of ``points`` (date, value), oldest first; empty when none."""
    if not points:
        return Markup("")
    points = thin(points)
    values = [float(value) for _, value in points]
    ticks, decimals = value_ticks(min(values), max(values))
    first_day, span_days = points[0][0], max((points[-1][0] - points[0][0]).days, 1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first_day).days / span_days

    def y(value: float) -> float:
        return TOP + plot_h * (ticks[-1] - value) / (ticks[-1] - ticks[0])

    line = " ".join(f"{x(day):.1f},{y(v):.1f}" for (day, _), v in zip(points, values, strict=True))
    parts = [
        f'<svg class="rate-chart" role="img" aria-labelledby="chart-title chart-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>',
        '<g class="y-axis" fill="currentColor" text-anchor="end">',
    ]
    for tick in ticks:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="currentColor" stroke-opacity="0.15"/>'
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}">{tick:.{decimals}f}</text>'
        )
    parts.append('</g><g class="x-axis" fill="currentColor" text-anchor="middle">')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}" '
                 f'stroke="currentColor"/>')
    for day in date_ticks([day for day, _ in points]):
        parts.append(f'<text x="{x(day):.1f}" y="{HEIGHT - 14}">{day.isoformat()}</text>')
    parts.append(f'</g><polyline fill="none" stroke="#0a58ca" stroke-width="2" points="{line}"/></svg>')
    return Markup("".join(parts))  # noqa: S704 -- numbers, ISO dates and escaped text only
