"""Period rows (group=week|month|year) of X/USD pairs from rate_served's stored quotients, in one scan.

What ``group_rows(select_series(...))`` yields, without deriving, comparing or building a row object
per day: each period's ``usd_exact`` values are summed in the same order and precision as
``Period.add`` does, and ``close_periods`` makes the rows (issue 11, point 8, aim d: by month no
slower than 1.5 x by day).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal, localcontext
from operator import itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.rates.params import Pair, RateQuery
from feedsvc.rates.periods import EXACT, Period, SeriesRow, close_periods, period_start
from feedsvc.rates.rendered import SERVED, fetch_raw

Raw = tuple[Any, str, str, int, str]  # (date or its ISO text, currency, usd_exact, usd_digits, source)


def usd_period_rows(session: Session, query: RateQuery) -> Iterator[SeriesRow]:
    """One row per period and pair of a resolved query of X/USD pairs (``rendered.usd_only``)."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    pairs = {pair.base: pair for pair in query.pairs}
    # By date only: within a day the pairs' order doesn't matter to the sums, and the index gives it.
    stmt = (select(SERVED.c.date, SERVED.c.currency, SERVED.c.usd_exact, SERVED.c.usd_digits, SERVED.c.source)
            .where(SERVED.c.currency.in_(list(pairs)), SERVED.c.date.between(query.start, query.end))
            .order_by(SERVED.c.date))
    sqlite = session.get_bind().dialect.name == "sqlite"  # its DBAPI gives a date as ISO text
    rows: dict[str, list[Raw]] = {}  # currency -> the open period's rows
    previous: dict[Pair, tuple[date, Decimal]] = {}
    last_day = start = None
    for batch in fetch_raw(session, stmt):
        for row in batch:  # the only per-row Python: the rest is C-level, once per period
            if row[0] != last_day:
                last_day = row[0]
                first = period_start(date.fromisoformat(last_day) if sqlite else last_day, query.group)
                if first != start:
                    yield from _close(start, rows, pairs, query.pairs, previous)
                    start = first
            rows.setdefault(row[1], []).append(row)
    yield from _close(start, rows, pairs, query.pairs, previous)


def _close(start: date | None, rows: dict[str, list[Raw]], pairs: dict[str, Pair], order: tuple[Pair, ...],
           previous: dict[Pair, tuple[date, Decimal]]) -> Iterator[SeriesRow]:
    """The open period's rows, by pair order; clears them."""
    if start is None or not rows:
        return
    periods = {pairs[currency]: _period(start, same) for currency, same in rows.items()}
    yield from close_periods(periods, order, previous)
    rows.clear()


def _period(start: date, rows: list[Raw]) -> Period:
    """A pair's period from its rows, summed as ``Period.add`` sums them one by one."""
    with localcontext(EXACT):  # sum() adds in order, left to right, in the current context
        total = sum(map(Decimal, map(itemgetter(2), rows)), Decimal(0))
    return Period(start, total, len(rows), max(map(itemgetter(3), rows)), Decimal(rows[-1][2]),
                  dict.fromkeys(map(itemgetter(4), rows)))
