"""Each kind of stored line's first and last date and count (``rate_line_spans``), kept on every upsert.

What is stored is listed from these few hundred rows (/rates/currencies.json, /rates/sources.json, the
codes ``pairs=`` accepts, a pair's default range): grouping every stored line took 3.6 s on SQLite with 20
years of five banks' tables. Writers of ``rate_observations`` take turns (``ensure_served`` locks first on
PostgreSQL; SQLite has one writer), so reading the spans and then writing them is safe. A whole
recompute (served/table.py, ``recompute_all``) rebuilds them from the stored lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Row, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from feedsvc.core.models import RateLineSpan, RateObservation

SPANS = RateLineSpan.__table__
Kind = tuple[str, str, int]  # (currency, quote, nominal) of a line of one source


def count_lines(session: Session, source: str, day: date, added: Iterable[Kind],
                removed: Iterable[Kind] = ()) -> None:
    """Count ``day`` in the spans of the ``added`` kinds of ``source``'s lines and take it out of the
    ``removed`` ones (a correction that changed a line's nominal)."""
    added, removed = set(added) - set(removed), set(removed) - set(added)
    if not added and not removed:
        return
    spans = {(row.currency, row.quote, row.nominal): row
             for row in session.execute(select(SPANS).where(SPANS.c.source == source))}
    updates = [_counted(spans[kind], day, +1) for kind in sorted(added) if kind in spans]
    for kind in sorted(removed & spans.keys()):
        span = spans[kind]
        if span.days <= 1:
            session.execute(delete(SPANS).where(*_key(source, kind)))
        elif day in (span.first_date, span.last_date):  # the other end of the span is in the index
            session.flush()  # the correction itself, so that the index no longer has it under ``kind``
            first, last = _ends(session, source, kind)
            updates.append({**_counted(span, day, -1), "first_date": first, "last_date": last})
        else:
            updates.append(_counted(span, day, -1))
    if updates:
        session.execute(update(SPANS).where(SPANS.c.source == bindparam("b_source"),
                                            SPANS.c.currency == bindparam("b_currency"),
                                            SPANS.c.quote == bindparam("b_quote"),
                                            SPANS.c.nominal == bindparam("b_nominal")), updates)
    new = [{"source": source, "currency": currency, "quote": quote, "nominal": nominal, "first_date": day,
            "last_date": day, "days": 1} for currency, quote, nominal in sorted(added - spans.keys())]
    if new:
        session.execute(insert(SPANS), new)


def rebuild_spans(session: Session) -> None:
    """Every span again from the stored lines: one grouped query over all of them."""
    obs = RateObservation
    session.execute(delete(SPANS))
    session.execute(insert(SPANS).from_select(
        ["source", "currency", "quote", "nominal", "first_date", "last_date", "days"],
        select(obs.source, obs.currency, obs.quote, obs.nominal, func.min(obs.date), func.max(obs.date),
               func.count()).group_by(obs.source, obs.currency, obs.quote, obs.nominal)))


def _counted(span: Row, day: date, step: int) -> dict[str, object]:
    """The update of ``span`` counting ``day`` once more (+1) or once less (-1)."""
    first, last = (min(span.first_date, day), max(span.last_date, day)) if step > 0 else (span.first_date,
                                                                                          span.last_date)
    return {"b_source": span.source, "b_currency": span.currency, "b_quote": span.quote,
            "b_nominal": span.nominal, "first_date": first, "last_date": last, "days": span.days + step}


def _key(source: str, kind: Kind) -> list:
    """The conditions naming one span."""
    currency, quote, nominal = kind
    return [SPANS.c.source == source, SPANS.c.currency == currency, SPANS.c.quote == quote,
            SPANS.c.nominal == nominal]


def _ends(session: Session, source: str, kind: Kind) -> tuple[date, date]:
    """The first and last date of a kind of line as stored now (the correction already flushed)."""
    obs, (currency, quote, nominal) = RateObservation, kind
    first, last = session.execute(
        select(func.min(obs.date), func.max(obs.date))
        .where(obs.currency == currency, obs.quote == quote, obs.source == source, obs.nominal == nominal)
    ).one()
    return first, last
