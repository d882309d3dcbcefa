"""National Bank of Kazakhstan: the official KZT rate, one RSS-like XML file per weekday."""

from __future__ import annotations

from datetime import date

from feedsvc.rates.sources.official import XmlLayout, XmlSource, child


class NBK(XmlSource):
    """KZT per USD from ``get_rates.cfm?fdate=DD.MM.YYYY`` (weekdays; 2 decimals; ``quant`` divisor)."""

    name = "nbk"
    currencies = ("KZT",)
    history_start = date(2000, 1, 1)  # the documented start of the bank's daily files
    default_url = "https://nationalbank.kz/rss/get_rates.cfm?fdate={date:%d.%m.%Y}"
    # Almaty is UTC+5: 06:20, 11:20, 16:20 local on working days.
    default_cron = "20 1,6,11 * * mon-fri"
    attribution = "National Bank of Kazakhstan, nationalbank.kz"
    terms = (
        "Official rates published openly on nationalbank.kz; the file names the bank as copyright "
        "holder. No reuse licence stated in the feed: cite the bank; for anything more, check its site."
    )

    layout = XmlLayout("rates", child("date"), "%d.%m.%Y", "item", child("title"), child("description"),
                       child("quant"))
