"""Reads of the materialised lines and sums: the long CSV as stored, and period rows.

The CSV of long day rows is the stored ``usd_csv`` lines in one range scan (X/USD), or the stored
``rate_lines`` of any other published pair (served/pair_lines.py), likewise. Period rows
(group=week|month|year) are what ``group_rows(select_series(...))`` yields, without deriving, comparing
or building a row object per day: each period's ``usd_exact`` values are summed in the same order and
precision as ``Period.add`` does, and ``close_periods`` makes the rows. group=month reads its whole
months from ``rate_served_months`` (served/months.py) and sums only the days of a partial month at
either edge, so a long range by month costs no more than by day.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import Select, case, select, tuple_
from sqlalchemy.orm import Session

from feedsvc.core.models import RateLine, RateLinePair, RateServed, RateServedMonth, RateServedPriority
from feedsvc.rates.exact import (
    CSV_DAY_HEADER,
    SATURDAY,
    Period,
    csv_line,
    period_of,
    period_start,
    repeats,
)
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.read.periods import PreviousPeriods as Previous
from feedsvc.rates.read.periods import SeriesRow, close_periods
from feedsvc.rates.read.series import STREAM_ROWS
from feedsvc.rates.served.months import same_line
from feedsvc.rates.served.pair_lines import LINES_ROW

Raw = tuple[Any, str, str, int, str]  # (date or its ISO text, currency, usd_exact, usd_digits, source)
SERVED = RateServed.__table__
MONTHS = RateServedMonth.__table__
LINES = RateLine.__table__


def stream_usd_csv(session: Session, query: RateQuery) -> Iterator[str]:
    """The long CSV of day rows of a resolved query of X/USD pairs, in chunks: the stored lines."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    currencies = [pair.base for pair in query.pairs]
    stmt = (select(SERVED.c.usd_csv)
            .where(SERVED.c.currency.in_(currencies), SERVED.c.date.between(query.start, query.end))
            # The pairs' order within a day, as the rows are rendered elsewhere.
            .order_by(SERVED.c.date, case({c: i for i, c in enumerate(currencies)}, value=SERVED.c.currency)))
    yield csv_line(CSV_DAY_HEADER)
    for lines in fetch_raw(session, stmt):
        yield "".join([line for (line,) in lines])


def stream_pair_csv(session: Session, query: RateQuery, scope: str) -> Iterator[str]:
    """The long CSV of day rows of a resolved query of stored pairs (``rate_lines`` of ``scope``)."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    keys = [(pair.base, pair.quote) for pair in query.pairs]
    pair = tuple_(LINES.c.base, LINES.c.quote)
    # A primary-key range per pair, the rows sorted by date (and the query's pair order within a day).
    which = pair.in_(keys)
    stmt = (select(LINES.c.csv)
            .where(LINES.c.scope == scope, which, LINES.c.date.between(query.start, query.end))
            # The pairs' order within a day, as the general path yields them.
            .order_by(LINES.c.date, case(*((pair == key, i) for i, key in enumerate(keys)))))
    yield csv_line(CSV_DAY_HEADER)
    for lines in fetch_raw(session, stmt):
        yield "".join([line for (line,) in lines])


def kept_pairs(session: Session, scope: str) -> list[Pair]:
    """The pairs whose day rows ``rate_lines`` holds in ``scope`` (served/pair_lines.py)."""
    rows = session.execute(select(RateLinePair.base, RateLinePair.quote).where(RateLinePair.scope == scope))
    return [Pair(base, quote) for base, quote in rows]


def lines_computed_with(session: Session) -> str | None:
    """What ``rate_lines`` were computed with (served/pair_lines.py, ``lines_version``), or None."""
    return session.scalar(select(RateServedPriority.sources).where(RateServedPriority.id == LINES_ROW))


def fetch_raw(session: Session, stmt: Select) -> Iterator[list[tuple]]:
    """The rows of ``stmt`` in batches, read straight from a DBAPI cursor.

    SQLAlchemy's row objects cost more than the rest of this read (bench/rates.py); its own cursor
    can't be read past it (a streamed result buffers rows ahead). The literals are dates and validated
    currency codes, rendered by SQLAlchemy.
    """
    connection = session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    raw = connection.connection.dbapi_connection
    assert raw is not None, "an open connection"
    # A server-side cursor on PostgreSQL keeps memory flat; SQLite's steps through the rows as read.
    named = connection.dialect.name == "postgresql"
    cursor = raw.cursor(name="rates_served_scan") if named else raw.cursor()  # type: ignore[call-arg]
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(STREAM_ROWS):
            yield rows
    finally:
        cursor.close()


def usd_period_rows(session: Session, query: RateQuery) -> Iterator[SeriesRow]:
    """One row per period and pair of a resolved query of X/USD pairs over ``rate_served``."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    previous: Previous = {}
    whole = whole_months(query.start, query.end) if query.group == "month" else None
    if whole is None:
        yield from _summed(session, query, query.start, query.end, previous)
        return
    first, last = whole
    if query.start < first:
        yield from _summed(session, query, query.start, first - timedelta(days=1), previous)
    yield from _stored_months(session, query, first, last, previous)
    if last < query.end:
        yield from _summed(session, query, last + timedelta(days=1), query.end, previous)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """The first and last day of the whole months within [start, end], or None when there is none."""
    # Days are read up to 2100-12-31 (core/params.py, LATEST): the next month's first day exists.
    first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=31)).replace(day=1)
    last = end
    if end.day != calendar.monthrange(end.year, end.month)[1]:
        last = end.replace(day=1) - timedelta(days=1)
    return (first, last) if first <= last else None


def _stored_months(session: Session, query: RateQuery, first: date, last: date,
                   previous: Previous) -> Iterator[SeriesRow]:
    """The month rows of [first, last], whole months, from the stored sums: one indexed range read."""
    pairs = {pair.base: pair for pair in query.pairs}
    stmt = (select(MONTHS.c.month, MONTHS.c.currency, MONTHS.c.total, MONTHS.c.count, MONTHS.c.digits,
                   MONTHS.c.close, MONTHS.c.sources)
            .where(MONTHS.c.currency.in_(list(pairs)), MONTHS.c.month.between(first, last))
            .order_by(MONTHS.c.month))
    for month, rows in groupby(session.execute(stmt), key=itemgetter(0)):
        periods = {pairs[currency]: Period(month, Decimal(total), count, digits, Decimal(close),
                                           dict.fromkeys(sources.split(";")))
                   for _month, currency, total, count, digits, close, sources in rows}
        yield from close_periods(periods, query.pairs, previous)


def _summed(session: Session, query: RateQuery, first: date, last: date,
            previous: Previous) -> Iterator[SeriesRow]:
    """The period rows of [first, last] summed from the served days, in one scan, weekend repeats left
    out (the day before ``first`` is read too: whether ``first`` repeats it)."""
    pairs = {pair.base: pair for pair in query.pairs}
    # By date only: within a day the pairs' order doesn't matter to the sums, and the index gives it.
    stmt = (select(SERVED.c.date, SERVED.c.currency, SERVED.c.usd_exact, SERVED.c.usd_digits, SERVED.c.source)
            .where(SERVED.c.currency.in_(list(pairs)),
                   SERVED.c.date.between(first - timedelta(days=1), last))
            .order_by(SERVED.c.date))
    sqlite = session.get_bind().dialect.name == "sqlite"  # its DBAPI gives a date as ISO text
    rows: dict[str, list[Raw]] = {}  # currency -> the open period's rows
    before: dict[str, tuple[date, Raw]] = {}  # currency -> its row of the day before, for repeats
    last_day = start = None
    day, weekend, counted = first, False, False
    for batch in fetch_raw(session, stmt):
        for row in batch:  # the only per-row Python: the rest is C-level, once per period
            if row[0] != last_day:
                last_day = row[0]
                day = date.fromisoformat(last_day) if sqlite else last_day
                weekend, counted = day.weekday() >= SATURDAY, day >= first
                opened = period_start(day, query.group)
                if counted and opened != start:
                    yield from _close(start, rows, pairs, query.pairs, previous)
                    start = opened
            seen = before.get(row[1])
            before[row[1]] = (day, row)
            if weekend and seen is not None and repeats(day, seen[0], same_line(row, seen[1])):
                continue
            if counted:
                rows.setdefault(row[1], []).append(row)
    yield from _close(start, rows, pairs, query.pairs, previous)


def _close(start: date | None, rows: dict[str, list[Raw]], pairs: dict[str, Pair], order: tuple[Pair, ...],
           previous: Previous) -> Iterator[SeriesRow]:
    """The open period's rows, by pair order; clears them."""
    if start is None or not rows:
        return
    periods = {pairs[currency]: period_of(start, same) for currency, same in rows.items()}
    yield from close_periods(periods, order, previous)
    rows.clear()
