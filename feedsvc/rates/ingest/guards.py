"""Guards on every stored rate: the jump rule and its confirmation, and decisions by hand.

Jump rule: a value that moved more than ``max_jump_pct`` since the same source's previous observation is
refused (recorded as a ``jump``, not stored), but only against an observation at most ``window_days``
older. An older one is no reference (a backfill of 2005 says nothing about today's rate): the value is
accepted, and flagged as a ``gap`` when it moved more than the limit since.

Confirmation: a refused jump is a real move (a devaluation) when the source's next observation stays at
the new level, or when another source agrees within one day; it is then stored and served, ``confirmed``.
A one-day slip that reverts stays ``refused``, listed by ``feedsvc rates review``.

The cross-check against the reference source is in feedsvc/rates/crosscheck.py; it records through here.

By hand: ``decide`` accepts or refuses one value, recorded with who and when; the rules never undo a
decision taken by hand for the same value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation
from feedsvc.rates.constants import (
    ACCEPTED,
    AUTO,
    BLOCKING,
    CONFIRMED,
    GAP,
    JUMP,
    MANUAL,
    REFUSED,
)
from feedsvc.rates.sources.base import Observation

ONE_DAY = timedelta(days=1)
Touched = set[tuple[date, str]]  # (date, currency) whose served value may have changed
Stored = set[tuple[str, date, str]]  # (source, date, currency) a confirmation stored
Verdict = Literal["accept", "refuse"]


@dataclass(frozen=True)
class Limits:
    """Validation thresholds: percentages, and the days within which an observation is a reference."""

    max_jump_pct: float = 50.0
    crosscheck_pct: float = 5.0
    window_days: int = 7


@dataclass(frozen=True)
class Reference:
    """A stored observation another value is compared with."""

    date: date
    value: Decimal


def configured_limits(config: Mapping[str, Any]) -> Limits:
    """The app's thresholds: RATES_MAX_JUMP_PCT, RATES_CROSSCHECK_PCT, RATES_JUMP_WINDOW_DAYS."""
    return Limits(config["RATES_MAX_JUMP_PCT"], config["RATES_CROSSCHECK_PCT"],
                  config["RATES_JUMP_WINDOW_DAYS"])


class DecisionError(Exception):
    """There is nothing to accept or refuse for the value named."""


def pct_change(value: Decimal, reference: Decimal) -> Decimal:
    """|value / reference − 1| in percent."""
    return abs(value / reference - 1) * 100


class JumpGuard:
    """The jump rule for one day of one source: which values to store, what to record and confirm."""

    def __init__(self, session: Session, source: str, day: date, currencies: list[str], now: datetime,
                 limits: Limits) -> None:
        self.session, self.source, self.day, self.now, self.limits = session, source, day, now, limits
        self.references = latest_before(session, source, currencies, day)
        self.pending = pending_jumps(session, source, currencies, day - timedelta(days=limits.window_days),
                                     day - ONE_DAY)
        self.confirmed: Stored = set()  # earlier values this guard stored by confirming a refused jump

    def admit(self, obs: Observation) -> bool:
        """True to store ``obs``; records a refusal or a gap, and confirms a refused jump it bears out."""
        value, reference = obs.units_per_usd, self.references.get(obs.currency)
        pending = self.pending.get(obs.currency)
        if pending and (reference is None or pending.date > reference.date) and _at_new_level(
                value, pending.value, reference, self.limits):
            note = f"the next observation ({obs.date}) stays at the new level"
            confirm(self.session, pending, note, self.now)
            self.confirmed.add((self.source, pending.date, obs.currency))
            return True
        if reference is None or pct_change(value, reference.value) <= threshold(self.limits.max_jump_pct):
            return True
        if (obs.date - reference.date).days > self.limits.window_days:
            note = f"no observation of {self.source} in the {self.limits.window_days} days before"
            record(self.session, self.source, obs, GAP, ACCEPTED, (self.source, reference), note, self.now)
            return True
        agreeing = agreeing_source(self.session, self.source, obs, self.limits)
        if agreeing is not None:
            note = f"{agreeing[0]} agrees on {agreeing[1]}"
            anomaly = record(self.session, self.source, obs, JUMP, CONFIRMED, (self.source, reference), note,
                             self.now)
            anomaly.decided_by, anomaly.decided_at = AUTO, self.now
            return True
        record(self.session, self.source, obs, JUMP, REFUSED, (self.source, reference),
               f"moved more than {self.limits.max_jump_pct:g} % in a day", self.now)
        return False


def threshold(pct: float) -> Decimal:
    """A percentage setting as an exact decimal."""
    return Decimal(str(pct))


def _at_new_level(value: Decimal, new: Decimal, old: Reference | None, limits: Limits) -> bool:
    """True when ``value`` is within the jump limit of ``new`` and nearer to it than to ``old``."""
    near_new = pct_change(value, new) <= threshold(limits.max_jump_pct)
    return near_new and (old is None or abs(value - new) < abs(value - old.value))


def latest_before(session: Session, source: str, currencies: Iterable[str], day: date
                  ) -> dict[str, Reference]:
    """The same source's latest stored value of each of ``currencies`` before ``day`` (one query)."""
    currencies = list(currencies)
    if not currencies:
        return {}
    obs, earlier = RateObservation, RateObservation.__table__.alias("earlier")
    last = (select(func.max(earlier.c.date))
            .where(earlier.c.source == obs.source, earlier.c.currency == obs.currency, earlier.c.date < day)
            .scalar_subquery())
    rows = session.execute(select(obs.currency, obs.date, obs.units_per_usd).where(
        obs.source == source, obs.currency.in_(currencies), obs.date == last))
    return {currency: Reference(when, value) for currency, when, value in rows}


def pending_jumps(session: Session, source: str, currencies: Iterable[str], first: date, last: date
                  ) -> dict[str, RateAnomaly]:
    """Refused jumps of ``source`` no one decided on, dated ``first``..``last``: the latest per currency."""
    anomalies = session.scalars(select(RateAnomaly).where(
        RateAnomaly.source == source, RateAnomaly.currency.in_(list(currencies)),
        RateAnomaly.date.between(first, last),
        RateAnomaly.reason == JUMP, RateAnomaly.status == REFUSED, RateAnomaly.decided_by.is_(None),
    ).order_by(RateAnomaly.date))
    return {anomaly.currency: anomaly for anomaly in anomalies}


def agreeing_source(session: Session, source: str, obs: Observation, limits: Limits
                    ) -> tuple[str, date] | None:
    """Another source's observation within one day of ``obs`` and ``crosscheck_pct`` of its value, if any."""
    other = RateObservation
    others = session.execute(select(other.source, other.date, other.units_per_usd)
                             .where(other.source != source, other.currency == obs.currency,
                                    other.date.between(obs.date - ONE_DAY, obs.date + ONE_DAY))
                             .order_by(other.date, other.source))
    tolerance = threshold(limits.crosscheck_pct)
    return next(((name, when) for name, when, value in others
                 if pct_change(obs.units_per_usd, value) <= tolerance), None)


def confirm_by_others(session: Session, source: str, day: date, values: dict[str, Decimal], now: datetime,
                      limits: Limits) -> Stored:
    """Confirm the refused jumps of other sources, within a day of ``day``, that ``values`` agree with."""
    if not values:
        return set()
    stored: Stored = set()
    tolerance = threshold(limits.crosscheck_pct)
    anomalies = session.scalars(select(RateAnomaly).where(
        RateAnomaly.source != source, RateAnomaly.currency.in_(list(values)),
        RateAnomaly.date.between(day - ONE_DAY, day + ONE_DAY), RateAnomaly.reason == JUMP,
        RateAnomaly.status == REFUSED, RateAnomaly.decided_by.is_(None)))
    for anomaly in anomalies:
        if pct_change(anomaly.value, values[anomaly.currency]) <= tolerance:
            confirm(session, anomaly, f"{source} agrees on {day}", now)
            stored.add((anomaly.source, anomaly.date, anomaly.currency))
    return stored


def confirm(session: Session, anomaly: RateAnomaly, note: str, now: datetime, by: str = AUTO) -> None:
    """Store a refused value after all and mark its anomaly ``confirmed`` (``accepted`` when by hand)."""
    store_value(session, anomaly.source, anomaly.date, anomaly.currency, anomaly.value, now)
    anomaly.status = CONFIRMED if by == AUTO else ACCEPTED
    anomaly.note, anomaly.decided_by, anomaly.decided_at = note, by, now


def store_value(session: Session, source: str, day: date, currency: str, value: Decimal,
                now: datetime) -> None:
    """Insert or correct the observation (source, day, currency)."""
    key = dict(source=source, date=day, currency=currency)
    row = session.scalars(select(RateObservation).filter_by(**key)).first()
    if row is None:
        session.add(RateObservation(**key, units_per_usd=value, fetched_at=now))
    elif row.units_per_usd != value:
        row.units_per_usd, row.fetched_at = value, now


def record(session: Session, source: str, obs: Observation, reason: str, status: str,
           reference: tuple[str, Reference], note: str, now: datetime) -> RateAnomaly:
    """Record (or update) the anomaly (source, date, currency, reason); a decision by hand stays."""
    key = dict(source=source, date=obs.date, currency=obs.currency, reason=reason)
    anomaly = session.scalars(select(RateAnomaly).filter_by(**key)).first()
    if anomaly is None:
        anomaly = RateAnomaly(**key)
        session.add(anomaly)
    elif by_hand(anomaly) and anomaly.value == obs.units_per_usd:
        return anomaly
    anomaly.value, anomaly.status, anomaly.note, anomaly.recorded_at = obs.units_per_usd, status, note, now
    anomaly.reference_source = reference[0]
    anomaly.reference_value, anomaly.reference_date = reference[1].value, reference[1].date
    anomaly.decided_by = anomaly.decided_at = None
    return anomaly


def by_hand(anomaly: RateAnomaly | None) -> bool:
    """True when a person decided on ``anomaly`` (not the rules)."""
    return anomaly is not None and anomaly.decided_by not in (None, AUTO)


def decide(session: Session, source: str, day: date, currency: str, verdict: Verdict, who: str,
           now: datetime) -> RateAnomaly:
    """Accept or refuse one value by hand; the caller recomputes its served value and commits.

    Accept: a refused or held-back value is stored (if it was not) and served. Refuse: the stored value
    (or a jump still waiting for confirmation) is never served, whatever the rules find later.
    """
    key = dict(source=source, date=day, currency=currency)
    anomalies = list(session.scalars(select(RateAnomaly).filter_by(**key).order_by(RateAnomaly.recorded_at)))
    stored = session.scalars(select(RateObservation.units_per_usd).filter_by(**key)).first()
    if verdict == "accept":
        anomaly = next((a for a in reversed(anomalies) if a.status in BLOCKING), None)
        if anomaly is None:
            raise DecisionError(f"nothing to accept: {source} {day} {currency} is not refused or held back")
        confirm(session, anomaly, "accepted by hand", now, by=who)
        return anomaly
    if stored is None:  # only a jump waiting for confirmation can be refused for good
        anomaly = next((a for a in reversed(anomalies) if a.reason == JUMP and a.status == REFUSED), None)
        if anomaly is None:
            raise DecisionError(f"nothing to refuse: {source} has no value of {currency} on {day}")
    else:
        anomaly = next((a for a in reversed(anomalies) if a.value == stored), None) or next(
            (a for a in anomalies if a.reason == MANUAL), None)
        if anomaly is None:
            anomaly = RateAnomaly(**key, reason=MANUAL)
            session.add(anomaly)
        if anomaly.value != stored:
            anomaly.value, anomaly.recorded_at = stored, now
    anomaly.status, anomaly.note = REFUSED, "refused by hand"
    anomaly.decided_by, anomaly.decided_at = who, now
    return anomaly


def open_anomalies(session: Session, include_decided: bool = False, source: str | None = None
                   ) -> list[RateAnomaly]:
    """Values waiting for a person (refused or held back, not decided by hand), newest first; or all."""
    stmt = select(RateAnomaly).order_by(RateAnomaly.date.desc(), RateAnomaly.source, RateAnomaly.currency)
    if not include_decided:
        stmt = stmt.where(RateAnomaly.status.in_(BLOCKING), RateAnomaly.decided_by.is_(None))
    if source is not None:
        stmt = stmt.where(RateAnomaly.source == source)
    return list(session.scalars(stmt))
