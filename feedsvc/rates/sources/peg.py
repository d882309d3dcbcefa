"""``peg``: the Turkmen manat's official peg, 3.5 TMT per USD since 2015-01-01 (no HTTP)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import requests

from feedsvc.rates.sources.base import NoData, Observation, Source, Table

PEG_SINCE = date(2015, 1, 1)
TMT_PER_USD = Decimal("3.5")


class Peg(Source):
    """A fixed rate: CBT's own site is often unreachable from outside Turkmenistan."""

    name = "peg"
    currencies = ("TMT",)
    history_start = PEG_SINCE
    attribution = "Central Bank of Turkmenistan official rate (fixed since 2015-01-01)"
    terms = "a fixed official rate; no upstream is contacted"
    constant = True

    def url_for(self, day: date) -> str:
        """No URL: the value is a constant."""
        return ""

    def fetch(self, http: requests.Session, day: date, timeout: tuple[float, float]) -> bytes:
        """Nothing to download; NoData before the peg began."""
        if day < PEG_SINCE:
            raise NoData(f"peg: no fixed rate before {PEG_SINCE}")
        return b""

    def parse(self, payload: bytes, day: date) -> Table:
        """Pure: 1 USD = 3.5 TMT on ``day`` (from 2015-01-01)."""
        if day < PEG_SINCE:
            raise NoData(f"peg: no fixed rate before {PEG_SINCE}")
        return Table([Observation(day, "USD", "TMT", TMT_PER_USD)])
