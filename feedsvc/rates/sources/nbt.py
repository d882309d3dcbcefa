"""National Bank of Tajikistan: the official TJS rate, one XML file per day (weekends too)."""

from __future__ import annotations

from datetime import date

from feedsvc.rates.sources.official import XmlLayout, XmlSource, attribute, child


class NBT(XmlSource):
    """TJS per USD from ``export_xml.php?date=YYYY-MM-DD&export=xmlout`` (``Nominal`` divisor)."""

    name = "nbt"
    currencies = ("TJS",)
    # The documented start of its archive. Before it NBT silently answers today's file, which parse refuses:
    # its Date is not the day asked for.
    history_start = date(2001, 1, 1)
    default_url = "https://www.nbt.tj/en/kurs/export_xml.php?date={date:%Y-%m-%d}&export=xmlout"
    default_cron = "40 2,7,12 * * *"  # Dushanbe is UTC+5; the bank publishes every day, weekends included
    attribution = "www.nbt.tj (National Bank of Tajikistan)"
    terms = (
        "The bank requires the attribution \"www.nbt.tj\" wherever its rates are shown; other reuse "
        "terms unknown — check the bank's site."
    )

    # A date out of the bank's range silently returns today's file: only its Date tells (check_day).
    layout = XmlLayout("ValCurs", attribute("Date"), "%Y-%m-%d", "Valute", child("CharCode"), child("Value"),
                       child("Nominal"))
