"""Series queries: the served value of each (date, currency), pairs derived from it, and change."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, FromClause, Select, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateFetch, RateObservation, RateServed
from feedsvc.rates.exact import Previous, compare
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.read.paths import ReadPath
from feedsvc.rates.served import usd_lines
from feedsvc.rates.served.pairs import (
    STREAM_ROWS,
    Served,
    derive_digest,
    derive_rate,
    served_rows,
    served_values,
)

__all__ = ["STREAM_ROWS", "RateRow", "Served", "derive_digest", "derive_rate", "served_rows", "served_table"]


class RateRow(NamedTuple):
    """One served rate: 1 base = ``rate`` quote on ``date``; ``digits`` significant digits to show.

    ``prev_date`` is the date of the observation ``change_pct`` compares with (None without one).
    A named tuple, not a frozen dataclass: a long series makes one per row, and a frozen dataclass's
    ``__init__`` cost a few microseconds of the ~20 a row took (bench/rates.py).
    """

    date: date
    pair: Pair
    rate: Decimal
    digits: int
    change_pct: Decimal | None
    source: str
    prev_date: date | None = None
    digest: str | None = None  # provenance=1: the SHA-256 of the payload(s), "+"-joined for a cross
    repeated: bool = False  # a weekend's repeat of the day before's table: no new observation
    carried: bool = False  # fill=previous: no observation this day, the last one carried


def served_table(path: ReadPath) -> FromClause:
    """Rows (date, currency, source, units_per_usd) a query on ``path`` reads, keyed by date.

    By priority: ``rate_served``, materialised on write with that priority (served/table.py). One
    source: its own observations, held-back ones left out, through the (source, date, currency) index.
    """
    if path.own is None and not path.provenance:
        return RateServed.__table__
    if path.own is not None:
        lines = usd_lines(RateObservation.source == path.own)
        if path.provenance:
            lines = (lines.add_columns(RateFetch.sha256.label("digest"))
                     .outerjoin(RateFetch, RateFetch.id == RateObservation.fetch_id))
        return lines.subquery("own")
    return served_values(provenance=True)


def newest_date(session: Session, currencies: tuple[str, ...], path: ReadPath) -> date | None:
    """The newest date with a servable observation of any of ``currencies``, or None."""
    rows = served_table(path)
    return session.scalar(select(rows.c.date).where(rows.c.currency.in_(currencies))
                          .order_by(rows.c.date.desc()).limit(1))


def _last_date_before(rows: FromClause, pair: Pair, before: date | ColumnElement[date]) -> Select | None:
    """The last date before ``before`` on which every currency of ``pair`` has a value (a statement)."""
    aliases = [rows.alias() for _ in pair.currencies]
    if not aliases:
        return None
    first = aliases[0]
    stmt = select(first.c.date).where(first.c.date < before)
    for alias, currency in zip(aliases, pair.currencies, strict=True):
        stmt = stmt.where(alias.c.currency == currency)
        if alias is not first:  # a cross pair: the other currency on the same date
            stmt = stmt.where(alias.c.date == first.c.date)
    return stmt.order_by(first.c.date.desc()).limit(1)


def _scalars(session: Session, statements: list[Select | None]) -> list[date | None]:
    """Each statement's single value, all in one query (None stays None)."""
    present = [stmt.scalar_subquery() for stmt in statements if stmt is not None]
    values = iter(session.execute(select(*present)).one() if present else ())
    return [None if stmt is None else next(values) for stmt in statements]


def iter_served_days(
    session: Session, currencies: tuple[str, ...], path: ReadPath, start: date, end: date
) -> Iterator[tuple[date, Served]]:
    """Each date in [start, end] with data, and per currency the value of the first source by priority."""
    rows = served_table(path)
    return served_rows(session, rows, currencies, rows.c.date >= start, rows.c.date <= end)


def _served_on(session: Session, rows: FromClause, currencies: tuple[str, ...],
               days: Iterable[date | None]) -> dict[date, Served]:
    """The served values on a few ``days`` (Nones ignored), in one query."""
    wanted = sorted({day for day in days if day is not None})
    return dict(served_rows(session, rows, currencies, rows.c.date.in_(wanted))) if wanted else {}


def select_series(session: Session, query: RateQuery, path: ReadPath) -> Iterator[RateRow]:
    """Rows of every pair of a resolved ``query``, by date then pair order, lazily from the database."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    rows = served_table(path)
    # change_pct compares with the previous observation, which may lie before ``from``: fetch just
    # those days (one query for the dates, one for their values), then stream the range itself.
    before = _scalars(session, [_last_date_before(rows, pair, query.start) for pair in query.pairs])
    earlier = _served_on(session, rows, query.currencies, before)
    previous = {pair: _previous_on(pair, earlier, day) for pair, day in zip(query.pairs, before, strict=True)}
    for day, served in iter_served_days(session, query.currencies, path, query.start, query.end):
        for pair in query.pairs:
            derived = derive_rate(pair, served)
            if derived is None:
                continue
            rate, digits, source = derived
            change, prev_date = compare(rate, day, previous.get(pair))
            digest = derive_digest(pair, served) if query.provenance else None
            yield RateRow(day, pair, rate, digits, change, source, prev_date, digest)
            previous[pair] = (rate, day)


def _previous_on(pair: Pair, served: dict[date, Served], day: date | None) -> Previous | None:
    """The pair's rate and date on ``day`` from ``served``, or None."""
    derived = derive_rate(pair, served[day]) if day is not None and day in served else None
    return (derived[0], day) if derived and day is not None else None


def select_latest(session: Session, pairs: tuple[Pair, ...], path: ReadPath) -> list[RateRow]:
    """The newest row of each pair (pairs without data are left out): two queries for all pairs."""
    rows = served_table(path)
    statements = []
    for pair in pairs:
        last = _last_date_before(rows, pair, date.max)
        statements += [last, None if last is None else _last_date_before(rows, pair, last.scalar_subquery())]
    days = _scalars(session, statements)
    served = _served_on(session, rows, tuple(dict.fromkeys(c for p in pairs for c in p.currencies)), days)
    latest = []
    for pair, day, before in zip(pairs, days[::2], days[1::2], strict=True):
        derived = derive_rate(pair, served[day]) if day is not None else None
        if derived is not None:
            rate, digits, source = derived
            change, prev_date = compare(rate, day, _previous_on(pair, served, before))
            latest.append(RateRow(day, pair, rate, digits, change, source, prev_date))
    return latest


def stored_codes(session: Session, sources: tuple[str, ...]) -> set[str]:
    """Every code a line of ``sources`` names, either side: what a pair may ask for."""
    obs = RateObservation
    codes: set[str] = set()
    for column in (obs.currency, obs.quote):
        codes.update(session.scalars(select(column).where(obs.source.in_(sources)).distinct()))
    return codes
