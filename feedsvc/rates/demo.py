"""Demo rate history: two years of currency-api (a committed CSV) plus real recorded bank payloads.

``demo_data/currency_api.csv`` holds one row per published version of the npm package
``@fawazahmed0/currency-api`` (Fawaz Ahmed, CC0-1.0), built by ``scripts/build-demo-rates``. Each row goes
back through currency-api's own ``parse`` as a minimal ``usd.json`` payload, and every day through the same
``store_observations`` as the jobs use, with the TMT peg for the same days; one recorded answer of each
central bank follows, so ``/rates.csv`` shows the official sources offline too.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from feedsvc.rates.ingest.guards import Limits, configured_limits
from feedsvc.rates.ingest.store import batch, store_observations
from feedsvc.rates.sources import all_source_classes
from feedsvc.rates.sources.currency_api import CurrencyApi
from feedsvc.rates.sources.peg import Peg

DEMO_DATA = Path(__file__).parent / "demo_data"
CURRENCY_API_CSV = DEMO_DATA / "currency_api.csv"
PEG = Peg("")
# One recorded response per central bank (from tests/fixtures/upstream): file, and the day it answers.
BANK_FILES: dict[str, tuple[str, date]] = {
    "nbk": ("nbk.get_rates_fdate_01.04.2026.xml", date(2026, 4, 1)),
    "nbkr": ("nbkr.daily.xml", date(2026, 5, 24)),
    "nbt": ("nbt.export_xml_2026-05-18.xml", date(2026, 5, 18)),
    "cbu": ("cbu.json_all_2026-04-01.json", date(2026, 4, 1)),
    "cbt": ("cbt.kurs_2026_20052026.xml", date(2026, 5, 20)),
}
_DECIMAL_TEXT = re.compile(r"\d+(\.\d+)?")


def read_demo_payloads(path: Path = CURRENCY_API_CSV) -> list[tuple[date, bytes]]:
    """Each CSV row as its day and a minimal ``usd.json`` payload with the numbers' text as published."""
    with path.open(newline="", encoding="utf-8") as file:
        return [(date.fromisoformat(row["date"]), _payload(row)) for row in csv.DictReader(file)]


def describe_demo_rates() -> str:
    """One line naming what the demo rates are: the CSV's days and range, the peg, the bank payloads."""
    days = [day for day, _payload in read_demo_payloads()]
    return (f"currency-api {days[0]} to {days[-1]} ({len(days)} days; Fawaz Ahmed, CC0-1.0), the TMT peg on "
            f"those days, one recorded payload of {', '.join(BANK_FILES)}")


def load_demo_rates(session: Session) -> int:
    """Load the demo observations (currency-api CSV, TMT peg, bank payloads); return how many were new."""
    now = datetime.now(UTC).replace(microsecond=0)
    limits = _limits()
    source = CurrencyApi("")
    written = 0
    with batch(session, now):
        for day, payload in read_demo_payloads():
            observations = source.parse(payload, day)
            written += store_observations(session, source.name, day, observations, now, limits).written
            # The TMT peg for the same days, as the scheduled peg job would have stored it.
            written += store_observations(session, PEG.name, day, PEG.parse(b"", day), now, limits).written
        for name, (filename, day) in BANK_FILES.items():
            bank = all_source_classes()[name]("")
            observations = bank.parse((DEMO_DATA / filename).read_bytes(), day)
            written += store_observations(session, name, day, observations, now, limits).written
    return written


def _payload(row: dict[str, str]) -> bytes:
    # Numbers are copied as text into the JSON so parse(parse_float=Decimal) sees the published digits.
    rates = []
    for code, text in row.items():
        if code == "date" or not text:
            continue
        if not _DECIMAL_TEXT.fullmatch(text):
            raise ValueError(f"{CURRENCY_API_CSV.name}, {row['date']}: {code} is not a decimal: {text!r}")
        rates.append(f'"{code.lower()}": {text}')
    return f'{{"date": "{row["date"]}", "usd": {{{", ".join(rates)}}}}}'.encode()


def _limits() -> Limits:
    if not has_app_context():
        return Limits()
    return configured_limits(current_app.config)
