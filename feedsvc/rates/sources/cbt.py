"""Central Bank of Turkmenistan: the official TMT rate, one XML file per day except Sundays."""

from __future__ import annotations

from datetime import date

from feedsvc.rates.sources.official import XmlLayout, XmlSource, attribute, child

# cbt.tm refuses clients that do not look like a browser.
BROWSER_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


class CBT(XmlSource):
    """TMT per USD from ``kurs/YYYY/DDMMYYYY.xml`` (404 on Sundays; ``multiplier`` divisor)."""

    name = "cbt"
    currencies = ("TMT",)
    # The start of the XML archive read here. cbt.tm also keeps an HTML archive from 2009-04-01, but with no
    # recorded page of it to build and test a parser on, it is not read.
    history_start = date(2020, 1, 1)
    default_url = "https://cbt.tm/kurs/{date:%Y}/{date:%d%m%Y}.xml"
    default_cron = "10 3,8,13 * * mon-sat"  # Ashgabat is UTC+5; no file on Sundays
    attribution = "Central Bank of Turkmenistan, cbt.tm"
    terms = (
        "Reuse terms unknown — check the bank's site. Often unreachable from outside Turkmenistan; "
        "TMT is pegged at 3.5 per USD since 2015-01-01 (the peg source covers gaps)."
    )
    user_agent = BROWSER_USER_AGENT

    layout = XmlLayout("cbt_currency_rate", child("date"), "%d.%m.%Y", "rate", attribute("code"),
                       child("rate_tmt"), child("multiplier"))
