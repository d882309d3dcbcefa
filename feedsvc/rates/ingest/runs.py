"""Rate runs' records: runs left open by a killed process closed as ``abandoned``, triggers claimed once.

Both are called while holding the source's lease: no live process is then writing under an open run of
that source, and a trigger is claimed only by the process about to run it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedsvc.core.models import JobTrigger, RateObservation, RateRun

log = logging.getLogger(__name__)
ABANDONED = "abandoned"


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
    session.commit()
    return runs


def claim_trigger(engine: Engine, job: str, scheduled_at: datetime, holder: str, now: datetime) -> str | None:
    """Record that ``holder`` runs ``job``'s trigger at ``scheduled_at``; None, or who already did."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(JobTrigger).values(job=job, scheduled_at=scheduled_at, holder=holder,
                                                   claimed_at=now))
    except IntegrityError:
        with engine.connect() as conn:
            other = conn.scalar(select(JobTrigger.holder).where(JobTrigger.job == job,
                                                                JobTrigger.scheduled_at == scheduled_at))
        return other or "another process"
    return None


def last_success(session: Session, source: str) -> datetime | None:
    """When ``source``'s newest update that ended without an error started, or None."""
    return session.scalar(
        select(func.max(RateRun.started_at)).where(
            RateRun.source == source, RateRun.job == "update", RateRun.error.is_(None),
            RateRun.finished_at.is_not(None),
        )
    )
