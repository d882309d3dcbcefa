"""Per-month sums of the X/USD quotients in ``rate_served``, materialised on write in ``rate_served_months``.

group=month reads whole months from here instead of summing every day, so a long range by month is no
slower than by day; read/materialised.py sums the days of a partial month at either edge of a range. A
changed day changes only its own month (and the next, when a weekend repeating it falls there), and a
weekend's repeat of the day before is no new observation to count (exact.py, ``repeats``), so each
write to ``rate_served`` refreshes the months it touched, in the same transaction (served/table.py).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby

from sqlalchemy import ColumnElement, Connection, delete, insert, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateServedMonth
from feedsvc.rates.exact import period_of, period_start, repeats
from feedsvc.rates.served.lines import SERVED

MONTHS = RateServedMonth.__table__


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def refresh_months(db: Session | Connection, currencies: Iterable[str], first: date | None = None,
                   last: date | None = None) -> None:
    """Recompute the month rows of ``currencies`` for every month [first, last] touches (None: unbounded),
    and the next month when a weekend repeating ``last`` may fall in it."""
    low = None if first is None else first.replace(day=1)
    high = None if last is None else month_end(last + timedelta(days=2))
    since = None if low is None else low - timedelta(days=1)  # whether the 1st repeats the day before
    for currency in sorted(set(currencies)):
        db.execute(delete(MONTHS).where(MONTHS.c.currency == currency, *_within(MONTHS.c.month, low, high)))
        columns = (SERVED.c.date, SERVED.c.currency, SERVED.c.usd_exact, SERVED.c.usd_digits, SERVED.c.source)
        stmt = (select(*columns).where(SERVED.c.currency == currency, *_within(SERVED.c.date, since, high))
                .order_by(SERVED.c.date))
        rows = [row for row in new_observations(db.execute(stmt).all()) if low is None or row[0] >= low]
        months = [_month_row(currency, month, list(days))
                  for month, days in groupby(rows, key=lambda row: period_start(row[0], "month"))]
        if months:
            db.execute(insert(MONTHS), months)


def new_observations(rows: Iterable[Sequence]) -> Iterator[Sequence]:
    """The rows ``(date, currency, exact text, digits, source)`` of one currency by date that are new
    observations: a weekend repeat of the day before (exactly its value, from its source) is left out."""
    before = None
    for row in rows:
        if before is None or not repeats(row[0], before[0], same_line(row, before)):
            yield row
        before = row


def same_line(row: Sequence, before: Sequence) -> bool:
    """True when two served rows ``(date, currency, exact text, digits, source)`` have the same source
    and quotient (compared as numbers, not as text)."""
    return row[4] == before[4] and Decimal(row[2]) == Decimal(before[2])


def rebuild_months(db: Session | Connection) -> None:
    """Recompute every month row from ``rate_served`` (a whole recompute, or the migration's fill)."""
    db.execute(delete(MONTHS))
    refresh_months(db, db.execute(select(SERVED.c.currency).distinct()).scalars().all())


def _within(column: ColumnElement, low: date | None, high: date | None) -> list[ColumnElement[bool]]:
    """The conditions ``low <= column <= high``, leaving out an unbounded side."""
    conditions = [] if low is None else [column >= low]
    return conditions if high is None else [*conditions, column <= high]


def _month_row(currency: str, month: date, days: list) -> dict[str, object]:
    """The stored row of one month of ``currency``, from its served rows by date."""
    period = period_of(month, days)
    # str() of a Decimal reads back to the same coefficient and exponent, as usd_exact does.
    return {"currency": currency, "month": month, "total": str(period.total), "count": period.count,
            "digits": period.digits, "close": str(period.close), "sources": ";".join(period.sources)}
