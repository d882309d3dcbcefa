"""National Bank of Kazakhstan: the official KZT rate, one RSS-like XML file per weekday."""

from __future__ import annotations

from datetime import date

from feedsvc.rates.sources.base import Observation
from feedsvc.rates.sources.official import OfficialSource, check_day, find_usd_line, parse_day, parse_xml


class NBK(OfficialSource):
    """KZT per USD from ``get_rates.cfm?fdate=DD.MM.YYYY`` (weekdays; 2 decimals; ``quant`` divisor)."""

    name = "nbk"
    currencies = ("KZT",)
    history_start = date(2000, 1, 1)  # the documented start of the bank's daily files (issue 11)
    default_url = "https://nationalbank.kz/rss/get_rates.cfm?fdate={date:%d.%m.%Y}"
    # Almaty is UTC+5: 06:20, 11:20, 16:20 local on working days.
    default_cron = "20 1,6,11 * * mon-fri"
    attribution = "National Bank of Kazakhstan, nationalbank.kz"
    terms = (
        "Official rates published openly on nationalbank.kz; the file names the bank as copyright "
        "holder. No reuse licence stated in the feed: cite the bank; for anything more, check its site."
    )

    def parse(self, payload: bytes, day: date) -> list[Observation]:
        """Pure: KZT per 1 USD on ``day`` from the ``<item>`` whose ``<title>`` is USD."""
        root = parse_xml(payload, "rates")
        check_day(parse_day(root.findtext("date"), "%d.%m.%Y"), day)
        usd = find_usd_line(root.iter("item"), lambda item: item.findtext("title"))
        return [self.observe(day, usd.findtext("description"), usd.findtext("quant"))]
