"""Series queries: the served value of each (date, currency), pairs derived from it, and change."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, FromClause, Select, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateFetch, RateLineSpan, RateObservation, RateServed
from feedsvc.rates.exact import CHANGE_DAYS, Previous, compare, repeats
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.read.paths import ReadPath
from feedsvc.rates.served import usd_lines
from feedsvc.rates.served.through_usd import (
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


def select_series(session: Session, query: RateQuery, path: ReadPath) -> Iterator[RateRow]:
    """Rows of every pair of a resolved ``query``, by date then pair order, lazily from the database.

    ``change_pct`` compares with the pair's previous new observation, which may lie before ``from``: the
    CHANGE_DAYS days before it are read too (never a change across more).
    """
    assert query.start is not None and query.end is not None, "resolve the range first"
    begin = query.start - timedelta(days=CHANGE_DAYS)
    days = iter_served_days(session, query.currencies, path, begin, query.end)
    return (row for row in _compared(days, query.pairs, query.provenance) if row.date >= query.start)


def _compared(days: Iterable[tuple[date, Served]], pairs: tuple[Pair, ...],
              provenance: bool) -> Iterator[RateRow]:
    """The rows of ``pairs`` on ``days`` (in date order), each compared with the pair's last new one.

    A weekend row repeating exactly the day before's value (exact.py, ``repeats``) is ``repeated``: it
    keeps that row's change and previous date, and the next new row compares with the last new one.
    """
    previous: dict[Pair, Previous] = {}
    last: dict[Pair, tuple] = {}  # pair -> (day, what it published, change, prev_date) of its last row
    for day, served in days:
        for pair in pairs:
            derived = derive_rate(pair, served)
            if derived is None:
                continue
            rate, digits, source = derived
            key = tuple(served[currency][:2] for currency in pair.currencies)
            before = last.get(pair)
            repeated = before is not None and repeats(day, before[0], before[1] == key)
            if repeated:
                change, prev_date = before[2], before[3]  # type: ignore[index]
            else:
                change, prev_date = compare(rate, day, previous.get(pair))
                previous[pair] = (rate, day)
            last[pair] = (day, key, change, prev_date)
            digest = derive_digest(pair, served) if provenance else None
            yield RateRow(day, pair, rate, digits, change, source, prev_date, digest, repeated)


def select_latest(session: Session, pairs: tuple[Pair, ...], path: ReadPath) -> list[RateRow]:
    """The newest row of each pair (pairs without data are left out), compared as ``select_series``
    compares it: two queries for all pairs (their newest days, then the week before each)."""
    rows = served_table(path)
    newest = _scalars(session, [_last_date_before(rows, pair, date.max) for pair in pairs])
    window = sorted({day - timedelta(days=back) for day in newest if day is not None
                     for back in range(CHANGE_DAYS + 1)})
    if not window:
        return []
    currencies = tuple(dict.fromkeys(c for pair in pairs for c in pair.currencies))
    days = served_rows(session, rows, currencies, rows.c.date.in_(window))
    found = {row.pair: row for row in _compared(days, pairs, False)}  # each pair's last is its newest
    return [found[pair] for pair in pairs if pair in found]


def stored_codes(session: Session, sources: tuple[str, ...]) -> set[str]:
    """Every code a line of ``sources`` names, either side: what a pair may ask for."""
    span = RateLineSpan
    rows = session.execute(select(span.currency, span.quote).where(span.source.in_(sources)).distinct())
    return {code for row in rows for code in row}
