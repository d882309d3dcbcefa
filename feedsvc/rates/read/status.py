"""What is stored and recorded per source: dates, runs, held-back values and anomalies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation, RateRun
from feedsvc.rates.constants import HELD

ANOMALIES_LISTED = 50  # /rates/sources.json lists a source's newest anomalies; ``rates review`` lists all


@dataclass(frozen=True)
class SourceStatus:
    """What is stored and recorded for one source: dates, runs, held-back values and other anomalies."""

    first_date: date | None
    last_date: date | None
    last_success: datetime | None
    last_error: RateRun | None
    held_back: list[RateAnomaly]
    anomaly_counts: dict[str, int]  # status -> how many
    anomalies: list[RateAnomaly]  # the newest ANOMALIES_LISTED, by date


def select_source_status(session: Session, name: str) -> SourceStatus:
    """Stored date range, last good run, last failed run, held-back values and anomalies of ``name``."""
    obs = RateObservation
    first, last = session.execute(
        select(func.min(obs.date), func.max(obs.date)).where(obs.source == name)
    ).one()
    success = session.scalar(
        select(func.max(RateRun.finished_at)).where(RateRun.source == name, RateRun.error.is_(None))
    )
    error = session.scalars(
        select(RateRun).where(RateRun.source == name, RateRun.error.is_not(None))
        .order_by(RateRun.started_at.desc(), RateRun.id.desc()).limit(1)
    ).first()
    newest = (select(RateAnomaly).where(RateAnomaly.source == name)
              .order_by(RateAnomaly.date.desc(), RateAnomaly.currency, RateAnomaly.reason))
    held = session.scalars(newest.where(RateAnomaly.status == HELD)).all()
    counts = session.execute(select(RateAnomaly.status, func.count()).where(RateAnomaly.source == name)
                             .group_by(RateAnomaly.status))
    anomalies = session.scalars(newest.limit(ANOMALIES_LISTED)).all()
    by_status = {status: count for status, count in counts}
    return SourceStatus(first, last, success, error, list(held), by_status, list(anomalies))


def last_update_success(session: Session, constant: Iterable[str]) -> datetime | None:
    """When an update of a real upstream (not one of ``constant``) last finished without an error."""
    # A backfill of old days, or the constant TMT peg, succeeding says nothing about fresh rates.
    return session.scalars(
        select(RateRun.finished_at)
        .where(RateRun.job == "update", RateRun.error.is_(None), RateRun.finished_at.is_not(None))
        .where(RateRun.source.not_in(list(constant)))
        .order_by(RateRun.finished_at.desc())
        .limit(1)
    ).first()
