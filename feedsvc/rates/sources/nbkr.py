"""National Bank of the Kyrgyz Republic: today's daily table in KGS, and its history page in chunks."""

from __future__ import annotations

import re
from datetime import date, timedelta

import requests

from feedsvc.rates.sources.base import Observation, SourceError, Table, http_get
from feedsvc.rates.sources.official import XmlLayout, XmlSource, attribute, child, parse_day, parse_number

# The history page's id (``valuta_id``, from the page's own list of currencies) of every currency NBKR
# publishes today, and the units its values are for: the nominals of daily.xml and weekly.xml.
HISTORY_IDS: dict[str, tuple[int, int]] = {
    "USD": (15, 1), "EUR": (20, 1), "CNY": (24, 1), "KZT": (40, 1), "RUB": (44, 1),  # the daily table
    "GBP": (17, 1), "DKK": (19, 1), "INR": (21, 1), "CAD": (23, 1), "KRW": (25, 1), "NOK": (28, 1),
    "XDR": (30, 1), "SEK": (34, 1), "CHF": (35, 1), "JPY": (36, 10), "AMD": (38, 10), "BYR": (39, 100),
    "MDL": (43, 1), "TJS": (45, 1), "UZS": (46, 1), "UAH": (47, 1), "KWD": (50, 1), "HUF": (51, 10),
    "CZK": (52, 1), "NZD": (53, 1), "PKR": (55, 1), "AUD": (56, 1), "TRY": (57, 1), "AZN": (82, 1),
    "SGD": (86, 1), "AFN": (99, 1), "BRL": (101, 1), "GEL": (102, 1), "AED": (103, 1), "IRR": (104, 10),
    "MYR": (105, 1), "MNT": (106, 1), "TWD": (107, 1), "TMT": (108, 1), "PLN": (109, 1), "SAR": (139, 1),
    "BYN": (160, 1), "OMR": (180, 1), "HKD": (182, 1), "IDR": (184, 10),
}
# The history page marks each cell: <!--date-->DD.MM.YYYY<!--date--> <!--value-->40,9614<!--value-->.
_MARKED = re.compile(rb"<!--(date|value)-->(.*?)<!--\1-->", re.S)


class NBKR(XmlSource):
    """KGS per ``Nominal`` units of USD, EUR, CNY, KZT and RUB from ``daily.xml`` (today only, Bishkek date;
    windows-1251; decimal comma).

    Past days come from the history page: ``fetch_range`` one chunk of at most ``max_range_days``,
    ``parse_range`` it (the jobs split ranges into such chunks). The server drops bursts of connections,
    so the caller reuses one ``requests.Session`` (one persistent connection) and waits ``min_interval``
    seconds between requests.
    """

    name = "nbkr"
    quote = "KGS"
    history_start = date(1999, 1, 1)  # the documented start of the history page
    default_url = "https://www.nbkr.kg/XML/daily.xml"
    default_history_url = (
        "https://www.nbkr.kg/index1.jsp?item=1562&lang=ENG&valuta_id={valuta_id}"
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

    history_currencies = tuple(HISTORY_IDS)

    def history_url(self, start: date, end: date, currency: str = "USD") -> str:
        """The history page's URL of ``currency`` for ``start``–``end`` (both included)."""
        if self.history_template is None:
            raise SourceError("no history URL template configured (FEEDSVC_SOURCE_NBKR_HISTORY_URL)")
        if currency != "USD" and "{valuta_id}" not in self.history_template:
            # A template written for USD alone would answer USD's page for every currency.
            raise SourceError(f"the history URL template has no {{valuta_id}} to ask for {currency}")
        return self.history_template.format(start=start, end=end, valuta_id=HISTORY_IDS[currency][0])

    def fetch_range(
        self, http: requests.Session, start: date, end: date, timeout: tuple[float, float],
        currency: str = "USD",
    ) -> bytes:
        """Download ``currency``'s history page for one chunk ``start``–``end`` of at most
        ``max_range_days``."""
        if not start <= end < start + timedelta(days=self.max_range_days):
            raise ValueError(f"{start}–{end}: ask for 1 to {self.max_range_days} days at a time")
        return http_get(http, self.history_url(start, end, currency), timeout, self.user_agent)

    def parse_range(self, payload: bytes, currency: str = "USD") -> Table:
        """Pure: every (date, KGS per ``nominal`` units of ``currency``) row of a history page, by date."""
        cells = _MARKED.findall(payload)
        kinds = [kind for kind, _ in cells]
        if not cells or kinds != [b"date", b"value"] * (len(cells) // 2):
            raise SourceError("no complete <!--date--> / <!--value--> rows in the history page")
        nominal = HISTORY_IDS[currency][1]
        by_day: dict[date, Observation] = {}
        for (_, day_text), (_, value_text) in zip(cells[::2], cells[1::2], strict=True):
            day = parse_day(day_text.decode("ascii", "replace"), "%d.%m.%Y")
            value = parse_number(value_text.decode("ascii", "replace"), comma=True)
            if by_day.setdefault(day, Observation(day, currency, "KGS", value, nominal)).value != value:
                raise SourceError(f"two different values for {day.isoformat()} in the history page")
        return Table(sorted(by_day.values(), key=lambda observation: observation.date))
