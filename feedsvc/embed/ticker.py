"""The rates ticker as the iframe page shows it: each row's text, arrow, colour class and label."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from feedsvc.rates.query import RateRow
from feedsvc.rates.render import format_change, format_rate


@dataclass(frozen=True)
class TickerItem:
    """One pair as the ticker shows it (the same words as /embed/v1/rates.js)."""

    pair: str
    rate: str
    change: str
    css_class: str
    label: str
    title: str


def ticker_item(row: RateRow) -> TickerItem:
    """Format one latest-rate row: ▲/▼ and a colour for the change, a spoken label, the source."""
    pair, rate = str(row.pair), format_rate(row.rate, row.digits)
    if row.change_pct is None:
        change, css_class, words = "\u2013", "flat", "no change data"
    else:
        shown = format_change(abs(row.change_pct)) + "%"
        if row.change_pct > 0:
            change, css_class, words = f"\u25b2 {shown}", "up", f"up {shown}"
        elif row.change_pct < 0:
            change, css_class, words = f"\u25bc {shown}", "down", f"down {shown}"
        else:
            change, css_class, words = shown, "flat", "unchanged"
    return TickerItem(pair, rate, change, css_class, f"{pair} {rate}, {words}",
                      f"Source: {row.source}, {row.date.isoformat()}")


def ticker_items(rows: Iterable[RateRow]) -> list[TickerItem]:
    """Every row formatted for the ticker."""
    return [ticker_item(row) for row in rows]
