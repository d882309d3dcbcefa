"""National Bank of Tajikistan: the official TJS rate, one XML file per day (weekends too)."""

from __future__ import annotations

from datetime import date

from feedsvc.rates.sources.base import Observation
from feedsvc.rates.sources.official import OfficialSource, check_day, find_usd_line, parse_day, parse_xml


class NBT(OfficialSource):
    """TJS per USD from ``export_xml.php?date=YYYY-MM-DD&export=xmlout`` (``Nominal`` divisor)."""

    name = "nbt"
    currencies = ("TJS",)
    # The documented start (issue 11). Before it NBT silently answers today's file, which parse refuses:
    # its Date is not the day asked for.
    history_start = date(2001, 1, 1)
    default_url = "https://www.nbt.tj/en/kurs/export_xml.php?date={date:%Y-%m-%d}&export=xmlout"
    default_cron = "40 2,7,12 * * *"  # Dushanbe is UTC+5; the bank publishes every day, weekends included
    attribution = "www.nbt.tj (National Bank of Tajikistan)"
    terms = (
        "The bank requires the attribution \"www.nbt.tj\" wherever its rates are shown; other reuse "
        "terms unknown — check the bank's site."
    )

    def parse(self, payload: bytes, day: date) -> list[Observation]:
        """Pure: TJS per 1 USD on ``day`` from the ``<Valute>`` whose ``<CharCode>`` is USD."""
        root = parse_xml(payload, "ValCurs")
        # A date out of the bank's range silently returns today's file: only its Date tells.
        check_day(parse_day(root.get("Date"), "%Y-%m-%d"), day)
        usd = find_usd_line(root.iter("Valute"), lambda valute: valute.findtext("CharCode"))
        return [self.observe(day, usd.findtext("Value"), usd.findtext("Nominal"))]
