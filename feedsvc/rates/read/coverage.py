"""Coverage of a source: the days it publishes on, the days missing from what is stored, staleness.

A source publishes on the weekdays its update crontab runs on (``mon-fri`` for most central banks,
every day for NBT and currency-api): that schedule was written from when each upstream publishes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateObservation, RateSourceDay

ONE_DAY = timedelta(days=1)
EVERY_DAY = frozenset(range(7))
# Why a publishing day is missing: the source had nothing (a 404, a holiday), the guards refused every
# value it had, or it was never asked (a gap in a backfill, or a run that failed).
NO_DATA, REFUSED, NOT_FETCHED = "no data", "refused", "not fetched"
_WHY = {"none": NO_DATA, "ok": REFUSED}  # RateSourceDay.status -> why


@lru_cache(maxsize=64)
def publishing_weekdays(cron: str | None) -> frozenset[int]:
    """The weekdays (Monday = 0) on which the UTC crontab ``cron`` fires; every day without one."""
    if not cron:
        return EVERY_DAY
    trigger = CronTrigger.from_crontab(cron, timezone=UTC)
    start = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday; a week of fire times names the weekdays
    days, fire = set(), trigger.get_next_fire_time(None, start)
    while fire is not None and fire < start + timedelta(days=7):
        days.add(fire.weekday())
        fire = trigger.get_next_fire_time(fire, fire + timedelta(minutes=1))
    return frozenset(days)


def publishing_days(first: date, last: date, weekdays: frozenset[int]) -> Iterator[date]:
    """Every day of ``first``..``last`` that falls on one of ``weekdays``."""
    day = first
    while day <= last:
        if day.weekday() in weekdays:
            yield day
        day += ONE_DAY


def stored_dates(session: Session, source: str) -> list[date]:
    """The dates ``source`` has at least one stored observation on, oldest first."""
    obs = RateObservation
    return list(session.scalars(select(obs.date).where(obs.source == source).distinct().order_by(obs.date)))


def missing_days(session: Session, source: str, weekdays: frozenset[int],
                 dates: list[date] | None = None) -> list[tuple[date, str]]:
    """Publishing days between the source's first and last stored date without an observation, and why.

    ``dates``: the source's stored dates, if the caller has them already.
    """
    dates = stored_dates(session, source) if dates is None else dates
    if not dates:
        return []
    have = set(dates)
    missing = [day for day in publishing_days(dates[0], dates[-1], weekdays) if day not in have]
    answers = _answers(session, source, dates[0], dates[-1])
    return [(day, _WHY.get(answers.get(day, ""), NOT_FETCHED)) for day in missing]


def _answers(session: Session, source: str, first: date, last: date) -> dict[date, str]:
    """What the source answered per day of ``first``..``last`` (``ok`` or ``none``)."""
    day = RateSourceDay
    rows = session.execute(select(day.date, day.status)
                           .where(day.source == source, day.date.between(first, last)))
    return {when: status for when, status in rows}


def missed_since(last: date | None, today: date, weekdays: frozenset[int]) -> int:
    """Publishing days after ``last`` and before ``today`` (whose value may not be out yet)."""
    if last is None or last >= today - ONE_DAY:
        return 0
    return sum(1 for _ in publishing_days(last + ONE_DAY, today - ONE_DAY, weekdays))


@dataclass(frozen=True)
class Coverage:
    """What a source's stored history covers."""

    days_with_data: int
    missing_days: int
    missed_since_last: int  # publishing days since the newest stored date
    stale: bool


def coverage(session: Session, source: str, weekdays: frozenset[int], today: date, stale_after: int
             ) -> Coverage:
    """The coverage of ``source``: stale after ``stale_after`` publishing days without a new value."""
    dates = stored_dates(session, source)
    missing = missing_days(session, source, weekdays, dates)
    missed = missed_since(dates[-1] if dates else None, today, weekdays)
    return Coverage(len(dates), len(missing), missed, missed >= stale_after)


def any_stale(sources: Iterable[frozenset[int]], last: date, today: date, stale_after: int) -> bool:
    """True when a value dated ``last`` is stale for any of the sources' publishing weekdays."""
    return any(missed_since(last, today, weekdays) >= stale_after for weekdays in sources)
