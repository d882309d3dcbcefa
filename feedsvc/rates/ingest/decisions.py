"""Decisions by hand: accept or refuse one value of a line, recorded with who and when, and the list of
values waiting for one. The rules (guards.py, crosscheck.py) never undo a decision taken by hand for the
same value."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation
from feedsvc.rates.constants import BLOCKING, JUMP, MANUAL, REFUSED, USD
from feedsvc.rates.ingest.guards import Line, confirm

Verdict = Literal["accept", "refuse"]


class DecisionError(Exception):
    """There is nothing to accept or refuse for the value named."""


def name_line(session: Session, source: str, day: date, name: str) -> Line:
    """The line ``name`` means in ``source``'s table of ``day``: ``EUR/KGS`` as written, or one code.

    One code ``C`` is the line ``USD/C`` when the source has it that day (a bank's own currency per
    USD, or currency-api's), else ``C`` in the source's quote currency.
    """
    if "/" in name:
        currency, _slash, quote = name.upper().partition("/")
        return (currency, quote)
    code = name.upper()
    found = session.scalars(select(RateObservation.quote).where(
        RateObservation.source == source, RateObservation.date == day, RateObservation.currency == USD,
        RateObservation.quote == code).limit(1)).first() or session.scalars(select(RateAnomaly.quote).where(
            RateAnomaly.source == source, RateAnomaly.date == day, RateAnomaly.currency == USD,
            RateAnomaly.quote == code).limit(1)).first()
    if found is not None:
        return (USD, code)
    obs = RateObservation
    quotes = session.scalars(select(obs.quote).where(obs.source == source, obs.date == day,
                                                     obs.currency == code)).all()
    if len(set(quotes)) == 1:
        return (code, quotes[0])
    return (USD, code)  # nothing stored: the decision will say there is nothing to decide


def decide(session: Session, source: str, day: date, line: Line, verdict: Verdict, who: str,
           now: datetime) -> RateAnomaly:
    """Accept or refuse one value by hand; the caller recomputes its served value and commits.

    Accept: a refused or held-back value is stored (if it was not) and served. Refuse: the stored value
    (or a jump still waiting for confirmation) is never served, whatever the rules find later.
    """
    key = dict(source=source, date=day, currency=line[0], quote=line[1])
    named = "/".join(line)
    anomalies = list(session.scalars(select(RateAnomaly).filter_by(**key).order_by(RateAnomaly.recorded_at)))
    stored = session.execute(select(RateObservation.value, RateObservation.nominal).filter_by(**key)).first()
    if verdict == "accept":
        anomaly = next((a for a in reversed(anomalies) if a.status in BLOCKING and a.value is not None), None)
        if anomaly is None:
            raise DecisionError(f"nothing to accept: {source} {day} {named} is not refused or held back")
        confirm(session, anomaly, "accepted by hand", now, by=who)
        return anomaly
    if stored is None:  # only a jump waiting for confirmation can be refused for good
        anomaly = next((a for a in reversed(anomalies) if a.reason == JUMP and a.status == REFUSED), None)
        if anomaly is None:
            raise DecisionError(f"nothing to refuse: {source} has no value of {named} on {day}")
    else:
        same = (a for a in reversed(anomalies) if (a.value, a.nominal) == tuple(stored))
        anomaly = next(same, None) or next((a for a in anomalies if a.reason == MANUAL), None)
        if anomaly is None:
            anomaly = RateAnomaly(**key, reason=MANUAL)
            session.add(anomaly)
        if (anomaly.value, anomaly.nominal) != tuple(stored):
            anomaly.value, anomaly.nominal, anomaly.recorded_at = stored[0], stored[1], now
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
