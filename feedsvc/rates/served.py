"""The served series, materialised on write: per (date, currency), the first source by priority whose
value no guard holds back or refuses, in ``rate_served``.

Every write that can change a served value (ingest's upsert, a hold-back or a release) recomputes the
(date, currency) it touched in the same transaction, with its X/USD columns as shown and those of the
next row (feedsvc/rates/rendered.py), and the per-month sums of the months it touched
(feedsvc/rates/served_months.py), so readers scan one table in date order and never resolve
priority themselves. The table remembers the priority it was computed with; when the configured
one differs (FEEDSVC_RATES_SOURCES changed between deployments), ``ensure_priority`` recomputes it whole:
``feedsvc db upgrade`` / ``run`` / ``demo`` call it, and so does every ingest before it writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, case, delete, func, insert, select
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import RATES_SCOPE
from feedsvc.core.models import RateObservation, RateServed, RateServedPriority
from feedsvc.rates import rendered, served_months
from feedsvc.rates.query import not_held_back
from feedsvc.rates.sources import all_source_classes

PRIORITY_ROW = 1  # rate_served_priority holds a single row


def default_priority() -> tuple[str, ...]:
    """The app's FEEDSVC_RATES_SOURCES in an app context, else the registry's default order."""
    if has_app_context():
        return tuple(current_app.config["RATES_SOURCES"])
    return tuple(all_source_classes())


def _fill(session: Session, sources: tuple[str, ...], *where: ColumnElement[bool]) -> None:
    """Insert the served row of every (date, currency) whose observations match ``where``."""
    if not sources:
        return
    obs = RateObservation
    rank = case({name: position for position, name in enumerate(sources)}, value=obs.source)
    ranked = (
        select(obs.date, obs.currency, obs.source, obs.units_per_usd,
               func.row_number().over(partition_by=(obs.date, obs.currency), order_by=rank).label("rank"))
        .where(obs.source.in_(sources), not_held_back(obs), *where)
        .subquery()
    )
    columns = (ranked.c.date, ranked.c.currency, ranked.c.source, ranked.c.units_per_usd)
    session.execute(insert(RateServed).from_select([c.name for c in columns],
                                                   select(*columns).where(ranked.c.rank == 1)))


def recompute_days(session: Session, sources: tuple[str, ...], day: date, currencies: Iterable[str]) -> None:
    """Recompute the served values of ``currencies`` on ``day`` from the stored observations."""
    currencies = sorted(set(currencies))
    if not currencies:
        return
    session.flush()  # the upsert's pending rows and anomaly deletions must be visible to the INSERT … SELECT
    session.execute(delete(RateServed).where(RateServed.date == day, RateServed.currency.in_(currencies)))
    _fill(session, sources, RateObservation.date == day, RateObservation.currency.in_(currencies))
    rendered.refresh_usd(session, currencies, day, day)
    served_months.refresh_months(session, currencies, day, day)


def recompute_range(session: Session, sources: tuple[str, ...], first: date, last: date,
                    currencies: Iterable[str]) -> None:
    """Recompute the served values of ``currencies`` on every day from ``first`` to ``last``."""
    currencies = sorted(set(currencies))
    session.flush()
    session.execute(delete(RateServed).where(RateServed.date.between(first, last),
                                             RateServed.currency.in_(currencies)))
    _fill(session, sources, RateObservation.date.between(first, last),
          RateObservation.currency.in_(currencies))
    rendered.refresh_usd(session, currencies, first, last)
    served_months.refresh_months(session, currencies, first, last)


def recompute_all(session: Session, sources: tuple[str, ...]) -> None:
    """Recompute the whole table with priority ``sources`` and remember that priority."""
    session.flush()
    session.execute(delete(RateServed))
    _fill(session, sources)
    rendered.refresh_usd(session, session.scalars(select(RateServed.currency).distinct()))
    served_months.rebuild_months(session)
    row = session.get(RateServedPriority, PRIORITY_ROW)
    if row is None:
        session.add(RateServedPriority(id=PRIORITY_ROW, sources=",".join(sources)))
    else:
        row.sources = ",".join(sources)
    session.flush()


def ensure_priority(session: Session, sources: tuple[str, ...], now: datetime) -> bool:
    """Recompute the table if it was computed with another priority (bumping ``rates``); True if so."""
    # FOR UPDATE: every writer of rate_served locks this row first, so on PostgreSQL concurrent ingests
    # (and two processes noticing a new priority) take turns instead of racing on the same keys.
    row = session.get(RateServedPriority, PRIORITY_ROW, with_for_update=True, populate_existing=True)
    if row is not None and row.sources == ",".join(sources):
        return False
    recompute_all(session, sources)
    bump_markers(session, [RATES_SCOPE], now)
    return True
