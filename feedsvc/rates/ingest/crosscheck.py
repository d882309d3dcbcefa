"""The cross-check: an official value against its reference source (currency-api), a day's offset allowed.

An official value further than ``crosscheck_pct`` from the reference's value on the same day, and from its
values of the day before and after if there are any, is stored but ``held``, never served: currency-api
dates a file by its UTC build day, a bank by its local day, so agreement a day off is agreement. Agreement
that comes later ``releases`` it; a decision by hand for the same value stays.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation
from feedsvc.rates.constants import AUTO, HELD, HELD_BACK, RELEASED
from feedsvc.rates.ingest.guards import (
    ONE_DAY,
    Limits,
    Reference,
    Touched,
    by_hand,
    pct_change,
    record,
    threshold,
)
from feedsvc.rates.sources import all_source_classes
from feedsvc.rates.sources.base import Observation


def checked_pairs(source: str) -> dict[str, str]:
    """Official source → its reference source, for the pairs a write of ``source`` can change."""
    pairs = {name: cls.crosscheck_reference for name, cls in all_source_classes().items()
             if cls.crosscheck_reference}
    if source in pairs:
        return {source: pairs[source]}
    return {official: reference for official, reference in pairs.items() if reference == source}


def crosscheck(session: Session, source: str, day: date, currencies: list[str], now: datetime,
               limits: Limits) -> Touched:
    """Hold back or release the official values of ``currencies`` a write of (``source``, ``day``) bears on.

    Returns the (date, currency) whose hold changed; the caller recomputes their served values.
    """
    pairs = checked_pairs(source)
    if not pairs or not currencies:
        return set()
    session.flush()
    days = [day] if source in pairs else [day - ONE_DAY, day, day + ONE_DAY]
    values = _values(session, {*pairs, *pairs.values()}, days[0] - ONE_DAY, days[-1] + ONE_DAY, currencies)
    anomalies = _disagreements(session, set(pairs), days[0], days[-1], currencies)
    touched: Touched = set()
    for official, reference in pairs.items():
        for when, currency in itertools.product(days, currencies):
            key = (official, when, currency)
            if key in values and _recheck(session, key, values, reference, anomalies.get(key), now, limits):
                touched.add((when, currency))
    return touched


def _recheck(session: Session, key: tuple[str, date, str], values: dict[tuple[str, date, str], Decimal],
             reference: str, anomaly: RateAnomaly | None, now: datetime, limits: Limits) -> bool:
    """Hold back or release one official value against its reference source; True if its hold changed."""
    official, when, currency = key
    value = values[key]
    if anomaly is not None and by_hand(anomaly) and anomaly.value == value:
        return False
    # The same day's reference must exist to hold a value back; a neighbour's agreement is enough to pass.
    days = (when, when - ONE_DAY, when + ONE_DAY)
    near = [Reference(day, values[(reference, day, currency)]) for day in days
            if (reference, day, currency) in values]
    tolerance = threshold(limits.crosscheck_pct)
    if near and near[0].date == when and all(pct_change(value, other.value) > tolerance for other in near):
        if anomaly is not None and anomaly.status == HELD and anomaly.value == value:
            return False
        note = f"differs by more than {limits.crosscheck_pct:g} % from {reference} within a day"
        record(session, official, Observation(when, currency, value), HELD_BACK, HELD, (reference, near[0]),
               note, now)
        return True
    if anomaly is not None and anomaly.status == HELD:
        anomaly.status, anomaly.note = RELEASED, f"{reference} agrees within a day"
        anomaly.decided_by, anomaly.decided_at = AUTO, now
        return True
    return False


def _values(session: Session, sources: set[str], first: date, last: date, currencies: list[str]
            ) -> dict[tuple[str, date, str], Decimal]:
    obs = RateObservation
    rows = session.execute(select(obs.source, obs.date, obs.currency, obs.units_per_usd).where(
        obs.date.between(first, last), obs.currency.in_(currencies), obs.source.in_(sources)))
    return {(name, when, currency): value for name, when, currency, value in rows}


def _disagreements(session: Session, sources: set[str], first: date, last: date, currencies: list[str]
                   ) -> dict[tuple[str, date, str], RateAnomaly]:
    anomalies = session.scalars(select(RateAnomaly).where(
        RateAnomaly.date.between(first, last), RateAnomaly.reason == HELD_BACK,
        RateAnomaly.source.in_(sources), RateAnomaly.currency.in_(currencies)))
    return {(a.source, a.date, a.currency): a for a in anomalies}
