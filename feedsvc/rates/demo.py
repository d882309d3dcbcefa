"""Demo rate history built from the real upstream payloads shipped with feedsvc."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from feedsvc.rates.ingest import Limits, store_observations
from feedsvc.rates.sources.currency_api import CurrencyApi

DEMO_DATA = Path(__file__).parent / "demo_data"


def load_demo_rates(session: Session) -> int:
    """Load the demo rate observations (real currency-api payloads); return how many were new."""
    source = CurrencyApi("")
    now = datetime.now(UTC).replace(microsecond=0)
    written = 0
    for path in sorted(DEMO_DATA.glob("*.usd.json")):
        day = date.fromisoformat(path.name.split(".")[0])
        observations = source.parse(path.read_bytes(), day)
        written += store_observations(session, source.name, day, observations, now, _limits()).written
    return written


def _limits() -> Limits:
    if not has_app_context():
        return Limits()
    config = current_app.config
    return Limits(config["RATES_MAX_JUMP_PCT"], config["RATES_CROSSCHECK_PCT"])
