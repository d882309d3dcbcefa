"""Validate parsed observations and upsert them on their natural key (source, date, currency).

Re-running writes nothing: a row whose value is unchanged is left alone. An upstream correction
(same key, a different value) **updates** the row and its ``fetched_at`` — we serve what the source
publishes now, as frankfurter does, rather than keep a value upstream has withdrawn (a silent
``DO NOTHING`` would freeze the first answer forever). A day-on-day jump above ``max_jump_pct`` is
refused and recorded as a ``RateAnomaly`` unless another source agrees with the new value that day.

Cross-check: an official observation that differs from its reference source's (currency-api)
for the same (date, currency) by more than ``crosscheck_pct`` is stored but **held back** — a
``RateAnomaly(reason="disagree")`` the query side never serves past. Whichever of the two arrives second
triggers the check; a later correction that brings them back together releases it.

Each write recomputes the served value of the (date, currency) it touched, upsert, hold-back and release
alike, in the same transaction (feedsvc/rates/served.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.changes import bump_markers
from feedsvc.countries import RATES_SCOPE
from feedsvc.models import RateAnomaly, RateObservation, RateSourceDay
from feedsvc.rates.constants import HELD_BACK
from feedsvc.rates.served import default_priority, ensure_priority, recompute_days, recompute_range
from feedsvc.rates.sources import all_source_classes
from feedsvc.rates.sources.base import Observation, SourceError

BATCH = "feedsvc.rates.batch"  # session.info: (day, currency) whose served values wait for the batch's end


@dataclass(frozen=True)
class Limits:
    """Validation thresholds, in percent."""

    max_jump_pct: float = 50.0
    crosscheck_pct: float = 5.0


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
    """Validate and upsert one day of one source; recompute its served values; mark the day ``ok``.

    ``priority`` is the enabled sources in order (default: the app's, see ``served.default_priority``).
    """
    validate_observations(observations, day)
    limits = limits or Limits()
    priority = default_priority() if priority is None else priority
    ensure_priority(session, priority, now)
    written, refused = _upsert(session, source, day, observations, now, limits)
    currencies = sorted({o.currency for o in observations})
    held_changed = crosscheck(session, source, day, currencies, now, limits)
    if (written or held_changed) and BATCH in session.info:
        session.info[BATCH].update((day, currency) for currency in currencies)
    elif written or held_changed:
        # Same transaction: a reader never sees a new observation or hold-back without its served value.
        recompute_days(session, priority, day, currencies)
        bump_markers(session, [RATES_SCOPE], now)
    mark_day(session, source, day, "ok", now)
    session.flush()
    return StoreResult(written, refused)


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
            limits: Limits) -> tuple[int, int]:
    """Insert new values and apply corrections; (written, refused by the jump check)."""
    existing = {
        row.currency: row
        for row in session.scalars(
            select(RateObservation).where(RateObservation.source == source, RateObservation.date == day)
        )
    }
    written = refused = 0
    changed = [obs for obs in observations if obs.currency not in existing
               or existing[obs.currency].units_per_usd != obs.units_per_usd]
    previous = previous_values(session, source, [obs.currency for obs in changed], day)
    for obs in changed:
        row = existing.get(obs.currency)
        if _refuse_jump(session, source, obs, previous.get(obs.currency), now, limits):
            refused += 1
            continue
        if row is None:
            session.add(RateObservation(source=source, date=day, currency=obs.currency,
                                        units_per_usd=obs.units_per_usd, fetched_at=now))
        else:  # an upstream correction: see the module docstring
            row.units_per_usd, row.fetched_at = obs.units_per_usd, now
        written += 1
    return written, refused


def mark_day(session: Session, source: str, day: date, status: str, now: datetime) -> None:
    """Record what ``source`` answered for ``day``: ``ok`` or ``none`` (no data, a 404)."""
    row = session.get(RateSourceDay, (source, day))
    if row is None:
        session.add(RateSourceDay(source=source, date=day, status=status, checked_at=now))
    else:
        row.status, row.checked_at = status, now


def previous_values(session: Session, source: str, currencies: list[str], day: date) -> dict[str, Decimal]:
    """The same source's latest value of each of ``currencies`` before ``day`` (one query)."""
    if not currencies:
        return {}
    obs, earlier = RateObservation, RateObservation.__table__.alias("earlier")
    last = (select(func.max(earlier.c.date))
            .where(earlier.c.source == obs.source, earlier.c.currency == obs.currency, earlier.c.date < day)
            .scalar_subquery())
    rows = session.execute(select(obs.currency, obs.units_per_usd).where(
        obs.source == source, obs.currency.in_(currencies), obs.date == last))
    return {currency: value for currency, value in rows}


def pct_change(value: Decimal, reference: Decimal) -> Decimal:
    """|value / reference − 1| in percent."""
    return abs(value / reference - 1) * 100


def _refuse_jump(session: Session, source: str, obs: Observation, previous: Decimal | None, now: datetime,
                 limits: Limits) -> bool:
    if previous is None or pct_change(obs.units_per_usd, previous) <= Decimal(str(limits.max_jump_pct)):
        return False
    if _confirmed_elsewhere(session, source, obs, limits):
        return False
    _record_anomaly(session, source, obs, previous, now)
    return True


def _confirmed_elsewhere(session: Session, source: str, obs: Observation, limits: Limits) -> bool:
    others = session.scalars(
        select(RateObservation.units_per_usd).where(
            RateObservation.source != source,
            RateObservation.currency == obs.currency,
            RateObservation.date == obs.date,
        )
    )
    tolerance = Decimal(str(limits.crosscheck_pct))
    return any(pct_change(obs.units_per_usd, other) <= tolerance for other in others)


def _record_anomaly(
    session: Session, source: str, obs: Observation, previous: Decimal, now: datetime
) -> None:
    key = dict(source=source, date=obs.date, currency=obs.currency, reason="jump")
    anomaly = session.scalars(select(RateAnomaly).filter_by(**key)).first()
    if anomaly is None:
        anomaly = RateAnomaly(**key)
        session.add(anomaly)
    anomaly.value, anomaly.recorded_at = obs.units_per_usd, now
    anomaly.reference_source, anomaly.reference_value = source, previous


def checked_pairs(source: str) -> dict[str, str]:
    """Official source → its reference source, for the pairs a write of ``source`` can change."""
    pairs = {name: cls.crosscheck_reference for name, cls in all_source_classes().items()
             if cls.crosscheck_reference}
    if source in pairs:
        return {source: pairs[source]}
    return {official: reference for official, reference in pairs.items() if reference == source}


def crosscheck(session: Session, source: str, day: date, currencies: list[str], now: datetime,
               limits: Limits) -> bool:
    """Hold back or release the official observations of ``currencies`` on ``day``; True if any changed.

    The caller recomputes the served values of (``day``, ``currencies``) when this returns True.
    """
    pairs = checked_pairs(source)
    if not pairs or not currencies:
        return False
    values = _day_values(session, {*pairs, *pairs.values()}, day, currencies)
    held = _held_back(session, set(pairs), day, currencies)
    tolerance = Decimal(str(limits.crosscheck_pct))
    changed = False
    for official, reference in pairs.items():
        for currency in currencies:
            value, other = values.get((official, currency)), values.get((reference, currency))
            anomaly = held.get((official, currency))
            if value is not None and other is not None and pct_change(value, other) > tolerance:
                disagreeing = Observation(day, currency, value)
                _hold_back(session, anomaly, disagreeing, official, (reference, other), now)
                changed = changed or anomaly is None
            elif anomaly is not None:  # agreement restored
                session.delete(anomaly)
                changed = True
    return changed


def _day_values(session: Session, sources: set[str], day: date, currencies: list[str]
                ) -> dict[tuple[str, str], Decimal]:
    obs = RateObservation
    rows = session.execute(
        select(obs.source, obs.currency, obs.units_per_usd)
        .where(obs.date == day, obs.currency.in_(currencies), obs.source.in_(sources))
    )
    return {(name, currency): value for name, currency, value in rows}


def _held_back(session: Session, sources: set[str], day: date, currencies: list[str]
               ) -> dict[tuple[str, str], RateAnomaly]:
    anomalies = session.scalars(select(RateAnomaly).where(
        RateAnomaly.date == day, RateAnomaly.reason == HELD_BACK,
        RateAnomaly.source.in_(sources), RateAnomaly.currency.in_(currencies)))
    return {(a.source, a.currency): a for a in anomalies}


def _hold_back(session: Session, anomaly: RateAnomaly | None, obs: Observation, source: str,
               reference: tuple[str, Decimal], now: datetime) -> None:
    if anomaly is None:
        anomaly = RateAnomaly(source=source, date=obs.date, currency=obs.currency, reason=HELD_BACK)
        session.add(anomaly)
    if (anomaly.value, anomaly.reference_source, anomaly.reference_value) != (obs.units_per_usd, *reference):
        anomaly.value, anomaly.recorded_at = obs.units_per_usd, now
        anomaly.reference_source, anomaly.reference_value = reference
