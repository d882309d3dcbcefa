"""Ticker items: a rate row formatted for display, with its arrow, change and spoken label."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from feedsvc.core.dates import long_date
from feedsvc.rates import exact
from feedsvc.rates.exact import format_rate
from feedsvc.rates.read.series import RateRow


@dataclass(frozen=True)
class TickerItem:
    """One ticker entry, ready to show: ``KGS/USD = 0.0114316 ▲ +0.21%``."""

    pair: str
    date: str
    rate: str
    change: str  # "+0.21%", "−0.19%", "0.00%" or "" when there is no previous value
    direction: str  # up, down or flat (also when there is no previous value)
    arrow: str
    source: str
    stale: bool = False  # no newer value for a few of its sources' publishing days

    @property
    def as_of(self) -> str:
        """What a stale value says of its age: ``as of 5 May 2025``; '' when it is fresh."""
        return f"as of {long_date(date.fromisoformat(self.date))}" if self.stale else ""

    @property
    def shown(self) -> str:
        """The rate as a ticker shows it: MIN_DIGITS significant digits, plain notation."""
        # A ticker is read at a glance (11792.2, 0.0000848016); ``rate`` keeps every published digit.
        return format_rate(Decimal(self.rate), exact.MIN_DIGITS)

    @property
    def magnitude(self) -> str:
        """The change without its sign ("0.21%"), for places that show the arrow instead."""
        return self.change.lstrip("+\u2212")

    @property
    def label(self) -> str:
        """What a screen reader says: ``KGS/USD 0.0114316, up 0.21%``."""
        words = {"up": f"up {self.magnitude}", "down": f"down {self.magnitude}"}.get(self.direction)
        said = f"{self.pair} {self.rate}, {words or ('unchanged' if self.change else 'no change data')}"
        return f"{said}, {self.as_of}" if self.stale else said

    @property
    def title(self) -> str:
        """Where the value comes from: ``Source: nbk, 2025-05-05``, and whether anything newer came since."""
        title = f"Source: {self.source}, {self.date}"
        return f"{title} (nothing newer has come since)" if self.stale else title


def make_ticker_item(row: RateRow, stale: bool = False) -> TickerItem:
    """Format one latest-rate row for display."""
    change = row.change_pct
    if change is None:
        direction, arrow, text = "flat", "", ""
    elif change > 0:
        direction, arrow, text = "up", "▲", f"+{change}%"
    elif change < 0:
        direction, arrow, text = "down", "▼", f"−{-change}%"  # a real minus sign, as in print
    else:
        direction, arrow, text = "flat", "", f"{change}%"
    return TickerItem(str(row.pair), row.date.isoformat(), format_rate(row.rate, row.digits), text,
                      direction, arrow, row.source, stale)

