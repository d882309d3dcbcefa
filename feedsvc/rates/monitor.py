"""What the rates tell a monitoring scrape: newest observation per source, runs, values waiting for a person.

Read from the database at scrape time, so the figures are the same whichever process wrote them (the
scheduler runs the jobs, the web workers answer the scrape) and survive restarts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation, RateRun
from feedsvc.rates.constants import BLOCKING
from feedsvc.rates.read.coverage import missed_since, publishing_weekdays
from feedsvc.rates.sources import source_schedule

# A run's outcome from its record: still open, no error, or what its error says.
_OUTCOME = case(
    (RateRun.finished_at.is_(None), "running"),
    (RateRun.error.is_(None), "ok"),
    (RateRun.error == "interrupted", "interrupted"),
    (RateRun.error.like("abandoned%"), "abandoned"),
    (RateRun.error.like("skipped%"), "skipped"),
    else_="error",
)


@dataclass(frozen=True)
class SourceHealth:
    """One enabled source: its newest observed date and whether it is stale by its own schedule."""

    newest: date | None
    stale: bool


@dataclass(frozen=True)
class RatesSnapshot:
    """Everything /metrics reports about the rates, read in a few indexed queries."""

    sources: dict[str, SourceHealth]
    runs: dict[tuple[str, str], int]  # (source, outcome) -> runs recorded
    waiting: dict[tuple[str, str], int]  # (source, refused|held) -> values not served


def rates_snapshot(session: Session, config: Mapping[str, Any], today: date | None = None) -> RatesSnapshot:
    """The rates' figures for a metrics scrape."""
    today = today or datetime.now(UTC).date()
    stale_after = config["RATES_STALE_PUBLISHING_DAYS"]
    sources = {}
    for name in config["RATES_SOURCES"]:
        # One max() per source uses the (source, date, currency) index; a GROUP BY would scan the table.
        newest = session.scalar(select(func.max(RateObservation.date)).where(RateObservation.source == name))
        weekdays = publishing_weekdays(source_schedule(name, config))
        stale = newest is None or missed_since(newest, today, weekdays) >= stale_after
        sources[name] = SourceHealth(newest, stale)
    runs = session.execute(select(RateRun.source, _OUTCOME, func.count()).group_by(RateRun.source, _OUTCOME))
    waiting = session.execute(
        select(RateAnomaly.source, RateAnomaly.status, func.count())
        .where(RateAnomaly.status.in_(BLOCKING))
        .group_by(RateAnomaly.source, RateAnomaly.status)
    )
    return RatesSnapshot(sources, {(s, o): n for s, o, n in runs}, {(s, st): n for s, st, n in waiting})
