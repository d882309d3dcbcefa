"""The X/USD rows as the formats show them, materialised in ``rate_served`` on write.

Each served row keeps its X/USD rate and change as the exact strings CSV and JSON show (``usd_rate``,
``usd_change``), its whole long CSV line (``usd_csv``), and the unrounded quotient with its digits
(``usd_exact``, ``usd_digits``: what group=week|month|year sums, read/materialised.py), all computed
with the functions the live formats use (exact.py), the weekend repeat rule among them. So the default
long CSV is one column read in one range scan, with no Python arithmetic per row (the database
concatenating the line instead cost about as much as the rest of the read). Every write to
``rate_served`` refreshes the rows it touched and the rows after them whose change compares with them,
or which may repeat them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, Connection, Select, bindparam, func, select, update
from sqlalchemy.orm import Session

from feedsvc.core.models import RateServed
from feedsvc.rates.constants import USD
from feedsvc.rates.exact import (
    ONE,
    Previous,
    compare,
    csv_line,
    format_change,
    format_rate,
    quotient,
    repeats,
    shown_digits,
)

SERVED = RateServed.__table__


class _Last(NamedTuple):
    """A currency's last served row as the next one needs it: what it published, its change as shown,
    and the last new observation (``previous``: a weekend repeat keeps the one before it)."""

    day: date
    value: Decimal
    source: str
    change: str
    previous: Previous


def refresh_usd(db: Session | Connection, currencies: Iterable[str], first: date | None = None,
                last: date | None = None) -> None:
    """Recompute the X/USD strings of ``currencies`` on [first, last] (None: unbounded) and of the rows
    after it whose change or repeat depends on it."""
    for currency in sorted(set(currencies)):
        rows = db.execute(_rows_to_refresh(currency, first, last)).all()
        before = _last_before(db, currency, first)
        updates = []
        for day, value, source in rows:
            shown, before = _shown(currency, day, value, source, before)
            updates.append({"b_date": day, "b_currency": currency, **shown})
        if updates:
            db.execute(update(SERVED).where(SERVED.c.date == bindparam("b_date"),
                                            SERVED.c.currency == bindparam("b_currency")), updates)


def _rows_to_refresh(currency: str, first: date | None, last: date | None) -> Select:
    """(date, units_per_usd, source) of ``currency`` on [first, last], the two days after it (a weekend
    repeating ``last``) and the next served row (its change compares with them), by date."""
    where: list[ColumnElement[bool]] = [SERVED.c.currency == currency]
    if first is not None:
        where.append(SERVED.c.date >= first)
    if last is not None:
        horizon = last + timedelta(days=2)
        following = (select(func.min(SERVED.c.date))
                     .where(SERVED.c.currency == currency, SERVED.c.date > horizon).scalar_subquery())
        where.append(SERVED.c.date <= func.coalesce(following, horizon))
    return (select(SERVED.c.date, SERVED.c.units_per_usd, SERVED.c.source)
            .where(*where).order_by(SERVED.c.date))


def _last_before(db: Session | Connection, currency: str, first: date | None) -> _Last | None:
    """``currency``'s last served row before ``first`` (None: none, or no ``first``).

    Three rows back always reach a new observation: a repeat is a Saturday or a Sunday, so of three
    consecutive rows at most the last two repeat.
    """
    if first is None:
        return None
    rows = db.execute(select(SERVED.c.date, SERVED.c.units_per_usd, SERVED.c.source, SERVED.c.usd_change)
                      .where(SERVED.c.currency == currency, SERVED.c.date < first)
                      .order_by(SERVED.c.date.desc()).limit(3)).all()
    last = None
    for day, value, source, change in reversed(rows):
        if last is not None and repeats(day, last.day, (value, source) == (last.value, last.source)):
            last = last._replace(day=day)
        else:
            last = _Last(day, value, source, change or "", (quotient(ONE, value), day))
    return last


def _shown(currency: str, day: date, value: Decimal, source: str,
           before: _Last | None) -> tuple[dict[str, str | int | None], _Last]:
    """The X/USD columns of one row (1 / units per USD, as the read path derives it), and the row as
    the next one's ``before``."""
    rate, digits = quotient(ONE, value), shown_digits(value)
    if before is not None and repeats(day, before.day, (value, source) == (before.value, before.source)):
        change_text, previous = before.change, before.previous  # a repeat keeps the change it repeats
    else:
        change, _prev_date = compare(rate, day, before and before.previous)
        change_text, previous = format_change(change), (rate, day)
    shown = format_rate(rate, digits)
    line = csv_line([day.isoformat(), f"{currency}/{USD}", shown, change_text, source])
    # str() of a Decimal reads back to the same coefficient and exponent: usd_exact is the quotient itself.
    return ({"usd_rate": shown, "usd_change": change_text or None, "usd_csv": line, "usd_exact": str(rate),
             "usd_digits": digits}, _Last(day, value, source, change_text, previous))
