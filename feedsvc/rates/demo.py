"""Demo rate history built from the real upstream payloads shipped with feedsvc.

currency-api's daily files (with the TMT peg for their days) and one recorded answer of each central
bank go through the same ``parse`` and ``store_observations`` as the jobs use, so ``/rates.csv`` shows
the official sources offline too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from feedsvc.rates.ingest import Limits, store_observations
from feedsvc.rates.sources import all_source_classes
from feedsvc.rates.sources.currency_api import CurrencyApi
from feedsvc.rates.sources.peg import Peg

DEMO_DATA = Path(__file__).parent / "demo_data"
PEG = Peg("")
# One recorded response per central bank (from tests/fixtures/upstream): file, and the day it answers.
BANK_FILES: dict[str, tuple[str, date]] = {
    "nbk": ("nbk.get_rates_fdate_01.04.2026.xml", date(2026, 4, 1)),
    "nbkr": ("nbkr.daily.xml", date(2026, 5, 24)),
    "nbt": ("nbt.export_xml_2026-05-18.xml", date(2026, 5, 18)),
    "cbu": ("cbu.json_all_2026-04-01.json", date(2026, 4, 1)),
    "cbt": ("cbt.kurs_2026_20052026.xml", date(2026, 5, 20)),
}


def load_demo_rates(session: Session) -> int:
    """Load the demo rate observations (real currency-api and bank payloads); return how many were new."""
    now = datetime.now(UTC).replace(microsecond=0)
    limits = _limits()
    source = CurrencyApi("")
    written = 0
    for path in sorted(DEMO_DATA.glob("*.usd.json")):
        day = date.fromisoformat(path.name.split(".")[0])
        observations = source.parse(path.read_bytes(), day)
        written += store_observations(session, source.name, day, observations, now, limits).written
        # The TMT peg for the same days, as the scheduled peg job would have stored it.
        written += store_observations(session, PEG.name, day, PEG.parse(b"", day), now, limits).written
    for name, (filename, day) in BANK_FILES.items():
        bank = all_source_classes()[name]("")
        observations = bank.parse((DEMO_DATA / filename).read_bytes(), day)
        written += store_observations(session, name, day, observations, now, limits).written
    return written


def _limits() -> Limits:
    if not has_app_context():
        return Limits()
    config = current_app.config
    return Limits(config["RATES_MAX_JUMP_PCT"], config["RATES_CROSSCHECK_PCT"])
