"""Validate parsed observations and upsert them on their natural key (source, date, currency).

Re-running writes nothing: a row whose value is unchanged is left alone. An upstream correction
(same key, a different value) **updates** the row and its ``fetched_at`` — we serve what the source
publishes now, as frankfurter does, rather than keep a value upstream has withdrawn (a silent
``DO NOTHING`` would freeze the first answer forever). Every new value passes the guards first (the jump
rule, its confirmation and the cross-check: guards.py, crosscheck.py).

Each write recomputes the served value of every (date, currency) it touched, upsert, confirmation,
hold-back and release alike, in the same transaction (served/table.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import RATES_SCOPE
from feedsvc.core.models import RateAnomaly, RateObservation, RateSourceDay
from feedsvc.rates.ingest.crosscheck import crosscheck
from feedsvc.rates.ingest.guards import JumpGuard, Limits, Stored, Verdict, confirm_by_others, decide
from feedsvc.rates.served import default_priority, ensure_served, recompute_days, recompute_range
from feedsvc.rates.sources.base import Observation, SourceError

BATCH = "feedsvc.rates.batch"  # session.info: (day, currency) whose served values wait for the batch's end
__all__ = ["Limits", "StoreResult", "batch", "decide_by_hand", "mark_day", "store_observations",
           "validate_observations"]


@dataclass(frozen=True)
class StoreResult:
    """What one day's upsert did."""

    written: int
    refused: int


def validate_observations(observations: Iterable[Observation], day: date) -> None:
    """Raise SourceError unless every value is positive, finite and dated ``day``."""
    for obs in observations:
        if obs.date != day:
            raise SourceError(f"payload is dated {obs.date}, {day} was asked for")
        if not obs.units_per_usd.is_finite() or obs.units_per_usd <= 0:
            raise SourceError(f"{obs.currency}: {obs.units_per_usd} is not a positive finite number")


def store_observations(
    session: Session, source: str, day: date, observations: list[Observation], now: datetime,
    limits: Limits | None = None, priority: tuple[str, ...] | None = None,
) -> StoreResult:
    """Validate and upsert one day of one source; recompute the served values it touched; mark the day ``ok``.

    ``priority`` is the enabled sources in order (default: the app's, see ``served.default_priority``).
    """
    validate_observations(observations, day)
    limits = limits or Limits()
    priority = default_priority() if priority is None else priority
    ensure_served(session, priority, now)
    written, refused, confirmed = _upsert(session, source, day, observations, now, limits)
    confirmed |= confirm_by_others(session, source, day, written, now, limits)
    currencies = sorted({o.currency for o in observations})
    touched = {(day, currency) for currency in currencies} if written else set()
    touched |= {(when, currency) for _source, when, currency in confirmed}
    for (name, when), names in _grouped({(source, day, c) for c in currencies} | confirmed).items():
        touched |= crosscheck(session, name, when, names, now, limits)
    if touched and BATCH in session.info:
        session.info[BATCH].update(touched)
    elif touched:
        # Same transaction: a reader never sees a new observation or hold-back without its served value.
        for (when,), names in _grouped(touched).items():
            recompute_days(session, priority, when, names)
        bump_markers(session, [RATES_SCOPE], now)
    mark_day(session, source, day, "ok", now)
    session.flush()
    return StoreResult(len(written), refused)


def _grouped(keys: Iterable[tuple]) -> dict[tuple, list[str]]:
    """Keys ending in a currency, grouped by the rest (e.g. (source, date)): sorted currencies each."""
    grouped: dict[tuple, list[str]] = defaultdict(list)
    for *rest, currency in sorted(keys):
        grouped[tuple(rest)].append(currency)
    return grouped


@contextmanager
def batch(session: Session, now: datetime, priority: tuple[str, ...] | None = None) -> Iterator[None]:
    """Store many days in one transaction: served values and the rates marker are updated once, at the end.

    For bulk loads (the demo): per day, the recompute and the marker bump cost more than the upsert.
    """
    touched: set[tuple[date, str]] = set()
    session.info[BATCH] = touched
    try:
        yield
    finally:
        session.info.pop(BATCH, None)
    if touched:
        days = [day for day, _currency in touched]
        currencies = {currency for _day, currency in touched}
        recompute_range(session, default_priority() if priority is None else priority, min(days), max(days),
                        currencies)
        bump_markers(session, [RATES_SCOPE], now)


def _upsert(session: Session, source: str, day: date, observations: list[Observation], now: datetime,
            limits: Limits) -> tuple[dict[str, Decimal], int, Stored]:
    """Insert new values and corrections the guards admit: (values written, refused, values confirmed)."""
    existing = {
        row.currency: row
        for row in session.scalars(
            select(RateObservation).where(RateObservation.source == source, RateObservation.date == day)
        )
    }
    changed = [obs for obs in observations if obs.currency not in existing
               or existing[obs.currency].units_per_usd != obs.units_per_usd]
    guard = JumpGuard(session, source, day, [obs.currency for obs in changed], now, limits)
    written: dict[str, Decimal] = {}
    refused = 0
    for obs in changed:
        if not guard.admit(obs):
            refused += 1
            continue
        row = existing.get(obs.currency)
        if row is None:
            session.add(RateObservation(source=source, date=day, currency=obs.currency,
                                        units_per_usd=obs.units_per_usd, fetched_at=now))
        else:  # an upstream correction: see the module docstring
            row.units_per_usd, row.fetched_at = obs.units_per_usd, now
        written[obs.currency] = obs.units_per_usd
    return written, refused, guard.confirmed


def mark_day(session: Session, source: str, day: date, status: str, now: datetime) -> None:
    """Record what ``source`` answered for ``day``: ``ok`` or ``none`` (no data, a 404)."""
    row = session.get(RateSourceDay, (source, day))
    if row is None:
        session.add(RateSourceDay(source=source, date=day, status=status, checked_at=now))
    else:
        row.status, row.checked_at = status, now


def decide_by_hand(session: Session, source: str, day: date, currency: str, verdict: Verdict, who: str,
                   now: datetime, priority: tuple[str, ...] | None = None) -> RateAnomaly:
    """Accept or refuse one value by hand (guards.decide) and recompute its served value; not committed."""
    anomaly = decide(session, source, day, currency, verdict, who, now)
    recompute_days(session, default_priority() if priority is None else priority, day, [currency])
    bump_markers(session, [RATES_SCOPE], now)
    return anomaly
