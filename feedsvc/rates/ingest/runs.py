"""Rate runs' records: runs left open by a killed process closed as ``abandoned``; the last success.

Abandoned runs are closed while holding the source's lease: no live process is then writing under an
open run of that source. Triggers are claimed once by feedsvc.core.jobs.claim_trigger.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import RATE_SOURCES_SCOPE
from feedsvc.core.models import RateObservation, RateRun

log = logging.getLogger(__name__)
ABANDONED = "abandoned"


def bump_sources(session: Session, now: datetime) -> None:
    """Note in the write's transaction that what /rates/sources.json reports changed (its ETag moves)."""
    bump_markers(session, [RATE_SOURCES_SCOPE], now)


def close_abandoned_runs(session: Session, source: str) -> list[RateRun]:
    """Close ``source``'s open runs as ``abandoned``, each with the rows that landed since it started."""
    runs = list(session.scalars(
        select(RateRun).where(RateRun.source == source, RateRun.finished_at.is_(None)).order_by(RateRun.id)
    ))
    for run in runs:
        # Every write sets fetched_at, and the lease kept other runs of this source out meanwhile.
        count, last = session.execute(
            select(func.count(), func.max(RateObservation.fetched_at))
            .where(RateObservation.source == source, RateObservation.fetched_at >= run.started_at)
        ).one()
        run.rows_written, run.finished_at, run.error = count, last or run.started_at, ABANDONED
        log.warning("rates %s of %s started %s was abandoned (its process died): %d rows had landed",
                    run.job, source, run.started_at, count)
    if runs:
        bump_sources(session, datetime.now(UTC))
    session.commit()
    return runs


def last_success(session: Session, source: str) -> datetime | None:
    """When ``source``'s newest update that ended without an error started, or None."""
    return session.scalar(
        select(func.max(RateRun.started_at)).where(
            RateRun.source == source, RateRun.job == "update", RateRun.error.is_(None),
            RateRun.finished_at.is_not(None),
        )
    )
