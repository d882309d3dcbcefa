"""The served series, materialised on write: per (date, currency), the first source by priority whose
value no guard holds back or refuses, in ``rate_served``.

Every write that can change a served value (ingest's upsert, a hold-back or a release) recomputes the
(date, currency) it touched in the same transaction, with its X/USD columns as shown and those of the
next row (served/lines.py), and the per-month sums of the months it touched (served/months.py), so
readers scan one table in date order and never resolve priority themselves.

The table remembers the priority it was computed with and the format its lines were rendered with
(``exact.format_version``), in ``rate_served_priority``: row 1 the priority, row 2 the format. When the
configured priority differs (FEEDSVC_RATES_SOURCES changed between deployments) ``ensure_served``
recomputes the table whole; when only the format differs (a release changed digits or formatting) it
re-renders every line and month sum. Row 3 does the same for every published pair's stored lines
(served/pair_lines.py), which ingest keeps in step itself. ``feedsvc db upgrade`` / ``run`` / ``demo``
call it, and so does every ingest before it writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from flask import current_app, has_app_context
from sqlalchemy import ColumnElement, Select, case, delete, func, insert, select
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import RATES_SCOPE
from feedsvc.core.models import RateObservation, RateServed, RateServedPriority
from feedsvc.rates.constants import USD
from feedsvc.rates.exact import format_version
from feedsvc.rates.served import lines, months, pair_lines, spans
from feedsvc.rates.served.pairs import not_held_back
from feedsvc.rates.sources import all_source_classes

PRIORITY_ROW = 1  # rate_served_priority's row of the priority the table was computed with
FORMAT_ROW = 2  # and its row of the format version its lines and sums were rendered with


def usd_lines(*where: ColumnElement[bool]) -> Select:
    """(date, currency, source, units_per_usd) of the servable USD lines matching ``where``: the value of
    1 USD in ``quote``, which the served series calls ``currency``."""
    obs = RateObservation
    # Every bank and currency-api publish USD per 1; a line per more dollars is not a per-USD value.
    return (select(obs.date, obs.quote.label("currency"), obs.source, obs.value.label("units_per_usd"))
            .where(obs.currency == USD, obs.nominal == 1, not_held_back(obs), *where))


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
        usd_lines(obs.source.in_(sources), *where)
        .add_columns(func.row_number().over(partition_by=(obs.date, obs.quote), order_by=rank).label("rank"))
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
    _fill(session, sources, RateObservation.date == day, RateObservation.quote.in_(currencies))
    lines.refresh_usd(session, currencies, day, day)
    months.refresh_months(session, currencies, day, day)


def recompute_range(session: Session, sources: tuple[str, ...], first: date, last: date,
                    currencies: Iterable[str]) -> None:
    """Recompute the served values of ``currencies`` on every day from ``first`` to ``last``."""
    currencies = sorted(set(currencies))
    session.flush()
    session.execute(delete(RateServed).where(RateServed.date.between(first, last),
                                             RateServed.currency.in_(currencies)))
    _fill(session, sources, RateObservation.date.between(first, last),
          RateObservation.quote.in_(currencies))
    lines.refresh_usd(session, currencies, first, last)
    months.refresh_months(session, currencies, first, last)


def recompute_all(session: Session, sources: tuple[str, ...]) -> None:
    """Recompute the whole table with priority ``sources`` (and the spans of the stored lines), and
    remember that priority and the format."""
    session.flush()
    session.execute(delete(RateServed))
    _fill(session, sources)
    render_all(session)
    spans.rebuild_spans(session)
    _remember(session, PRIORITY_ROW, ",".join(sources))
    pair_lines.rebuild_lines(session, sources)  # scope '' follows the priority


def render_all(session: Session) -> None:
    """Render every served row's lines and every month sum again, and remember the format they have."""
    lines.refresh_usd(session, session.scalars(select(RateServed.currency).distinct()))
    months.rebuild_months(session)
    _remember(session, FORMAT_ROW, format_version())


def _remember(session: Session, row_id: int, value: str) -> None:
    row = session.get(RateServedPriority, row_id)
    if row is None:
        session.add(RateServedPriority(id=row_id, sources=value))
    else:
        row.sources = value
    session.flush()


def ensure_served(session: Session, sources: tuple[str, ...], now: datetime) -> bool:
    """Recompute the table if it was computed with another priority, or re-render it if its lines have
    another format, and the pairs' stored lines likewise (bumping ``rates``); True if any was done."""
    # FOR UPDATE: every writer of rate_served locks this row first, so on PostgreSQL concurrent ingests
    # (and two processes noticing a new priority) take turns instead of racing on the same keys.
    row = session.get(RateServedPriority, PRIORITY_ROW, with_for_update=True, populate_existing=True)
    shown = session.get(RateServedPriority, FORMAT_ROW, populate_existing=True)
    if row is None or row.sources != ",".join(sources):
        recompute_all(session, sources)
    elif shown is None or shown.sources != format_version():
        render_all(session)
        pair_lines.ensure_lines(session, sources)
    elif not pair_lines.ensure_lines(session, sources):  # e.g. first run after the lines' migration
        return False
    bump_markers(session, [RATES_SCOPE], now)
    return True
