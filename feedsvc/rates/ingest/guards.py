"""Guards on every stored rate: the jump rule and its confirmation, and decisions by hand.

Every rule works on one line of a source's table (a currency in a quote currency: NBK's ``UZS`` in KZT,
currency-api's ``USD`` in KZT), comparing values per unit of the currency, so a bank that changes a
line's nominal (per 1 to per 100) makes no jump.

Jump rule: a value that moved more than ``max_jump_pct`` since the same source's previous observation of
that line is refused (recorded as a ``jump``, not stored), but only against an observation at most
``window_days`` older. An older one is no reference (a backfill of 2005 says nothing about today's
rate): the value is accepted, and flagged as a ``gap`` when it moved more than the limit since.

Confirmation: a refused jump is a real move (a devaluation) when the source's next observation stays at
the new level, or when another source agrees within one day; it is then stored and served, ``confirmed``.
A one-day slip that reverts stays ``refused``, listed by ``feedsvc rates review``.

The cross-check against the reference source is in feedsvc/rates/crosscheck.py; it records through here.

Decisions by hand are in decisions.py; the rules never undo a decision taken by hand for the same value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation
from feedsvc.rates.constants import (
    ACCEPTED,
    AUTO,
    CONFIRMED,
    GAP,
    JUMP,
    MALFORMED,
    REFUSED,
)
from feedsvc.rates.exact import per_unit
from feedsvc.rates.sources.base import Observation, Refusal

ONE_DAY = timedelta(days=1)
Line = tuple[str, str]  # (currency, quote): one line of a table
Touched = set[tuple[date, str]]  # (date, currency) whose served value per USD may have changed
Stored = set[tuple[str, date, Line]]  # (source, date, line) a confirmation stored


def line_of(item: Observation | RateObservation | RateAnomaly) -> Line:
    """The line an observation or anomaly is of."""
    return (item.currency, item.quote)


@dataclass(frozen=True)
class Limits:
    """Validation thresholds: percentages, and the days within which an observation is a reference."""

    max_jump_pct: float = 50.0
    crosscheck_pct: float = 5.0
    window_days: int = 7


@dataclass(frozen=True)
class Reference:
    """A stored observation another value is compared with: its date and its value per unit."""

    date: date
    value: Decimal


def configured_limits(config: Mapping[str, Any]) -> Limits:
    """The app's thresholds: RATES_MAX_JUMP_PCT, RATES_CROSSCHECK_PCT, RATES_JUMP_WINDOW_DAYS."""
    return Limits(config["RATES_MAX_JUMP_PCT"], config["RATES_CROSSCHECK_PCT"],
                  config["RATES_JUMP_WINDOW_DAYS"])


def pct_change(value: Decimal, reference: Decimal) -> Decimal:
    """|value / reference − 1| in percent."""
    return abs(value / reference - 1) * 100


class JumpGuard:
    """The jump rule for one day of one source: which values to store, what to record and confirm."""

    def __init__(self, session: Session, source: str, day: date, lines: list[Line], now: datetime,
                 limits: Limits) -> None:
        self.session, self.source, self.day, self.now, self.limits = session, source, day, now, limits
        self.references = latest_before(session, source, lines, day, limits.window_days + 1)
        self.pending = pending_jumps(session, source, lines, day - timedelta(days=limits.window_days),
                                     day - ONE_DAY)
        self.confirmed: Stored = set()  # earlier values this guard stored by confirming a refused jump

    def admit(self, obs: Observation) -> bool:
        """True to store ``obs``; records a refusal or a gap, and confirms a refused jump it bears out."""
        value, reference = obs.per_unit, self.references.get(line_of(obs))
        pending = self.pending.get(line_of(obs))
        if pending and (reference is None or pending.date > reference.date) and _at_new_level(
                value, anomaly_per_unit(pending), reference, self.limits):
            note = f"the next observation ({obs.date}) stays at the new level"
            confirm(self.session, pending, note, self.now)
            self.confirmed.add((self.source, pending.date, line_of(obs)))
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


def latest_before(session: Session, source: str, lines: Iterable[Line], day: date,
                  scan_days: int = 8) -> dict[Line, Reference]:
    """The same source's latest stored value per unit of each of ``lines`` before ``day``.

    One range read of the source's last ``scan_days`` finds nearly every reference (whole tables at a
    time); only the lines not seen in it are looked up one by one, however far back.
    """
    lines = set(lines)
    obs = RateObservation
    recent = session.execute(select(obs.currency, obs.quote, obs.date, obs.value, obs.nominal).where(
        obs.source == source, obs.date.between(day - timedelta(days=scan_days), day - ONE_DAY),
    ).order_by(obs.date)).all() if lines else []
    newest = {(currency, quote): row for currency, quote, *row in recent}  # by date: the last one stays
    found = {line: Reference(when, per_unit(value, nominal))
             for line, (when, value, nominal) in newest.items() if line in lines}
    missing = lines - set(found)
    if missing:  # older references, or none: two queries for all of them
        found |= _older_references(session, source, missing, day)
    return found


def _older_references(session: Session, source: str, lines: set[Line], day: date) -> dict[Line, Reference]:
    """The latest value per unit of each of ``lines`` before ``day``, however old (by line, at most one)."""
    obs = RateObservation
    of_lines = (obs.source == source, obs.currency.in_({c for c, _q in lines}),
                obs.quote.in_({q for _c, q in lines}), obs.date < day)
    newest = (select(obs.currency, obs.quote, func.max(obs.date)).where(*of_lines)
              .group_by(obs.currency, obs.quote))
    latest = {(currency, quote): when for currency, quote, when in session.execute(newest)
              if (currency, quote) in lines}
    if not latest:
        return {}
    rows = session.execute(select(obs.currency, obs.quote, obs.date, obs.value, obs.nominal)
                           .where(*of_lines, obs.date.in_(set(latest.values()))))
    return {(currency, quote): Reference(when, per_unit(value, nominal))
            for currency, quote, when, value, nominal in rows if latest.get((currency, quote)) == when}


def pending_jumps(session: Session, source: str, lines: Iterable[Line], first: date, last: date
                  ) -> dict[Line, RateAnomaly]:
    """Refused jumps of ``source`` no one decided on, dated ``first``..``last``: the latest per line."""
    lines = set(lines)
    if not lines:
        return {}
    # Refused jumps waiting are few: read the source's of those days, keep the lines in Python.
    anomalies = session.scalars(select(RateAnomaly).where(
        RateAnomaly.source == source, RateAnomaly.date.between(first, last),
        RateAnomaly.reason == JUMP, RateAnomaly.status == REFUSED, RateAnomaly.decided_by.is_(None),
    ).order_by(RateAnomaly.date))
    return {line_of(anomaly): anomaly for anomaly in anomalies if line_of(anomaly) in lines}


def agreeing_source(session: Session, source: str, obs: Observation, limits: Limits
                    ) -> tuple[str, date] | None:
    """Another source's observation of the line within one day of ``obs`` and ``crosscheck_pct`` of its
    value, if any."""
    other = RateObservation
    others = session.execute(select(other.source, other.date, other.value, other.nominal)
                             .where(other.source != source, other.currency == obs.currency,
                                    other.quote == obs.quote,
                                    other.date.between(obs.date - ONE_DAY, obs.date + ONE_DAY))
                             .order_by(other.date, other.source))
    tolerance = threshold(limits.crosscheck_pct)
    return next(((name, when) for name, when, value, nominal in others
                 if pct_change(obs.per_unit, per_unit(value, nominal)) <= tolerance), None)


def confirm_by_others(session: Session, source: str, day: date, values: dict[Line, Decimal], now: datetime,
                      limits: Limits) -> Stored:
    """Confirm the refused jumps of other sources, within a day of ``day``, that ``values`` (per unit, by
    line) agree with."""
    if not values:
        return set()
    stored: Stored = set()
    tolerance = threshold(limits.crosscheck_pct)
    anomalies = session.scalars(select(RateAnomaly).where(
        RateAnomaly.source != source, RateAnomaly.date.between(day - ONE_DAY, day + ONE_DAY),
        RateAnomaly.reason == JUMP, RateAnomaly.status == REFUSED, RateAnomaly.decided_by.is_(None)))
    for anomaly in anomalies:
        line = line_of(anomaly)
        if line in values and pct_change(anomaly_per_unit(anomaly), values[line]) <= tolerance:
            confirm(session, anomaly, f"{source} agrees on {day}", now)
            stored.add((anomaly.source, anomaly.date, line))
    return stored


def anomaly_per_unit(anomaly: RateAnomaly) -> Decimal:
    """The value an anomaly names, per unit of its currency."""
    assert anomaly.value is not None, "a jump names its value"
    return per_unit(anomaly.value, anomaly.nominal or 1)


def confirm(session: Session, anomaly: RateAnomaly, note: str, now: datetime, by: str = AUTO) -> None:
    """Store a refused value after all and mark its anomaly ``confirmed`` (``accepted`` when by hand)."""
    assert anomaly.value is not None, "only a value can be confirmed"
    store_value(session, anomaly.source, Observation(anomaly.date, anomaly.currency, anomaly.quote,
                                                     anomaly.value, anomaly.nominal or 1), now)
    anomaly.status = CONFIRMED if by == AUTO else ACCEPTED
    anomaly.note, anomaly.decided_by, anomaly.decided_at = note, by, now


def store_value(session: Session, source: str, obs: Observation, now: datetime) -> None:
    """Insert or correct the observation of ``obs``'s line by ``source`` on its date."""
    key = dict(source=source, date=obs.date, currency=obs.currency, quote=obs.quote)
    row = session.scalars(select(RateObservation).filter_by(**key)).first()
    if row is None:
        session.add(RateObservation(**key, value=obs.value, nominal=obs.nominal, valid_days=obs.valid_days,
                                    fetched_at=now))
    elif (row.value, row.nominal) != (obs.value, obs.nominal):
        row.value, row.nominal, row.valid_days, row.fetched_at = obs.value, obs.nominal, obs.valid_days, now


def record(session: Session, source: str, obs: Observation, reason: str, status: str,
           reference: tuple[str, Reference] | None, note: str, now: datetime) -> RateAnomaly:
    """Record (or update) the anomaly (source, date, line, reason); a decision by hand stays."""
    key = dict(source=source, date=obs.date, currency=obs.currency, quote=obs.quote, reason=reason)
    anomaly = session.scalars(select(RateAnomaly).filter_by(**key)).first()
    if anomaly is None:
        anomaly = RateAnomaly(**key)
        session.add(anomaly)
    elif by_hand(anomaly) and (anomaly.value, anomaly.nominal) == (obs.value, obs.nominal):
        return anomaly
    anomaly.value, anomaly.nominal = obs.value, obs.nominal
    anomaly.status, anomaly.note, anomaly.recorded_at = status, note, now
    anomaly.reference_source = None if reference is None else reference[0]
    anomaly.reference_value = None if reference is None else reference[1].value
    anomaly.reference_date = None if reference is None else reference[1].date
    anomaly.decided_by = anomaly.decided_at = None
    return anomaly


def by_hand(anomaly: RateAnomaly | None) -> bool:
    """True when a person decided on ``anomaly`` (not the rules)."""
    return anomaly is not None and anomaly.decided_by not in (None, AUTO)


def record_refusal(session: Session, source: str, refusal: Refusal, now: datetime) -> None:
    """Record a line of a table that could not be read (``malformed``), refused for its currency alone."""
    key = dict(source=source, date=refusal.date, currency=refusal.currency, quote=refusal.quote,
               reason=MALFORMED)
    anomaly = session.scalars(select(RateAnomaly).filter_by(**key)).first()
    if anomaly is None:
        anomaly = RateAnomaly(**key)
        session.add(anomaly)
    anomaly.value = anomaly.nominal = None
    anomaly.status, anomaly.note, anomaly.recorded_at = REFUSED, refusal.reason[:500], now
    anomaly.decided_by = anomaly.decided_at = None
