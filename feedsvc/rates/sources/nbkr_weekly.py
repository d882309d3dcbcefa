"""National Bank of the Kyrgyz Republic, weekly table: about 40 more currencies in KGS, each valid 7 days."""

from __future__ import annotations

from datetime import date, timedelta
from xml.etree.ElementTree import Element

from feedsvc.rates.sources.base import NoData, SourceError, Table
from feedsvc.rates.sources.nbkr import NBKR
from feedsvc.rates.sources.official import (
    XmlSource,
    parse_day,
    parse_nominal,
    parse_xml,
    read_lines,
)


class NBKRWeekly(XmlSource):
    """KGS per ``Nominal`` units of each currency from ``weekly.xml`` (the current week's table only).

    The table carries its own date (a Saturday in the recorded file) and its ``ValidFor`` days: a day
    within that validity is answered with the table under the bank's own date; any other day has none.
    """

    name = "nbkr-weekly"
    quote = "KGS"
    currencies = ()  # no USD line in this table
    default_url = "https://www.nbkr.kg/XML/weekly.xml"
    default_cron = NBKR.default_cron
    attribution = NBKR.attribution
    terms = NBKR.terms
    min_interval = NBKR.min_interval
    has_history = False
    # The daily file's layout: windows-1251, a decimal comma, Bishkek's date.
    layout = NBKR.layout

    def parse(self, payload: bytes, day: date) -> Table:
        """Pure: every line of the weekly table in force on ``day``, dated as the bank dates it."""
        root = parse_xml(payload, self.layout.root)
        published = parse_day(self.layout.date(root), self.layout.date_format)
        valid = _valid_for(root)
        if not published <= day < published + timedelta(days=valid):
            raise NoData(f"the weekly table of {published} holds {valid} days, {day} is not one of them")
        return read_lines(self.xml_lines(root), published, self.quote or "", self.layout.comma, valid)


def _valid_for(root: Element) -> int:
    """The days the table holds: ``ValidFor``, the same on every line."""
    texts = {currency.findtext("ValidFor") for currency in root.iter("Currency")}
    if len(texts) != 1:
        raise SourceError(f"expected one ValidFor in the weekly table, found {sorted(map(str, texts))}")
    return parse_nominal(texts.pop())


