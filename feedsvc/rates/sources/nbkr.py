"""National Bank of the Kyrgyz Republic: today's official KGS rate, and its history page in chunks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import requests

from feedsvc.rates.sources.base import Observation, SourceError, http_get
from feedsvc.rates.sources.official import XmlLayout, XmlSource, attribute, child, parse_day, parse_number

# The history page marks each cell: <!--date-->DD.MM.YYYY<!--date--> <!--value-->40,9614<!--value-->.
_MARKED = re.compile(rb"<!--(date|value)-->(.*?)<!--\1-->", re.S)


class NBKR(XmlSource):
    """KGS per USD from ``daily.xml`` (today only, Bishkek date; windows-1251; decimal comma).

    Past days come from the history page: ``fetch_range`` one chunk of at most ``max_range_days``,
    ``parse_range`` it (the jobs split ranges into such chunks). The server drops bursts of connections,
    so the caller reuses one ``requests.Session`` (one persistent connection) and waits ``min_interval``
    seconds between requests.
    """

    name = "nbkr"
    currencies = ("KGS",)
    history_start = date(1999, 1, 1)  # the documented start of the history page
    default_url = "https://www.nbkr.kg/XML/daily.xml"
    default_history_url = (
        "https://www.nbkr.kg/index1.jsp?item=1562&lang=ENG&valuta_id=15"
        "&beg_day={start:%d}&beg_month={start:%m}&beg_year={start:%Y}"
        "&end_day={end:%d}&end_month={end:%m}&end_year={end:%Y}"
    )
    # daily.xml carries Bishkek's date (UTC+6): run only 00:00-17:59 UTC, where it equals the UTC date
    # (07:30, 11:30, 17:30 in Bishkek, working days).
    default_cron = "30 1,5,11 * * mon-fri"
    attribution = "National Bank of the Kyrgyz Republic, nbkr.kg"
    terms = (
        "Official rates published openly on nbkr.kg; reuse terms unknown — check the bank's site and cite "
        "the bank. Be gentle: the server drops clients that open many connections quickly."
    )
    min_interval = 2.0
    max_range_days = 365

    # daily.xml is always today's (NoData for any other day); its XML declaration names windows-1251.
    layout = XmlLayout("CurrencyRates", attribute("Date"), "%d.%m.%Y", "Currency", attribute("ISOCode"),
                       child("Value"), child("Nominal"), comma=True)

    def history_url(self, start: date, end: date) -> str:
        """The history page's URL for ``start``–``end`` (both included)."""
        if self.history_template is None:
            raise SourceError("no history URL template configured (FEEDSVC_SOURCE_NBKR_HISTORY_URL)")
        return self.history_template.format(start=start, end=end)

    def fetch_range(
        self, http: requests.Session, start: date, end: date, timeout: tuple[float, float]
    ) -> bytes:
        """Download the history page for one chunk ``start``–``end`` of at most ``max_range_days``."""
        if not start <= end < start + timedelta(days=self.max_range_days):
            raise ValueError(f"{start}–{end}: ask for 1 to {self.max_range_days} days at a time")
        return http_get(http, self.history_url(start, end), timeout, self.user_agent)

    def parse_range(self, payload: bytes) -> list[Observation]:
        """Pure: every (date, KGS per 1 USD) row of a history page, oldest first."""
        cells = _MARKED.findall(payload)
        kinds = [kind for kind, _ in cells]
        if not cells or kinds != [b"date", b"value"] * (len(cells) // 2):
            raise SourceError("no complete <!--date--> / <!--value--> rows in the history page")
        by_day: dict[date, Observation] = {}
        for (_, day_text), (_, value_text) in zip(cells[::2], cells[1::2], strict=True):
            day = parse_day(day_text.decode("ascii", "replace"), "%d.%m.%Y")
            value = parse_number(value_text.decode("ascii", "replace"), comma=True)  # valuta_id=15: per 1 USD
            if by_day.setdefault(day, Observation(day, self.currencies[0], value)).units_per_usd != value:
                raise SourceError(f"two different values for {day.isoformat()} in the history page")
        return sorted(by_day.values(), key=lambda observation: observation.date)
