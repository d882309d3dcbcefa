"""The X/USD rows as the formats show them, materialised in ``rate_served`` on write.

Each served row keeps its X/USD rate and change as the exact strings CSV and JSON show (``usd_rate``,
``usd_change``), its whole long CSV line (``usd_csv``), and the unrounded quotient with its digits
(``usd_exact``, ``usd_digits``: what group=week|month|year sums, read/materialised.py), all computed
with the functions the live formats use (exact.py). So the default long CSV is one column read in one
range scan, with no Python arithmetic per row (the database concatenating the line instead cost about
as much as the rest of the read). Every write to ``rate_served`` refreshes the rows it touched and the
next served row of each currency after them, whose change compares with them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

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
    shown_digits,
)

SERVED = RateServed.__table__


def refresh_usd(db: Session | Connection, currencies: Iterable[str], first: date | None = None,
                last: date | None = None) -> None:
    """Recompute the X/USD strings of ``currencies`` on [first, last] (None: unbounded), and the next row."""
    for currency in sorted(set(currencies)):
        rows = db.execute(_rows_to_refresh(currency, first, last)).all()
        previous = _previous(db, currency, first)
        updates = []
        for day, value, source in rows:
            shown, previous = _shown(currency, day, value, source, previous)
            updates.append({"b_date": day, "b_currency": currency, **shown})
        if updates:
            db.execute(update(SERVED).where(SERVED.c.date == bindparam("b_date"),
                                            SERVED.c.currency == bindparam("b_currency")), updates)


def _rows_to_refresh(currency: str, first: date | None, last: date | None) -> Select:
    """(date, units_per_usd, source) of ``currency`` on [first, last] and the next served row, by date."""
    where: list[ColumnElement[bool]] = [SERVED.c.currency == currency]
    if first is not None:
        where.append(SERVED.c.date >= first)
    if last is not None:  # the next row's change compares with the last touched one
        following = (select(func.min(SERVED.c.date))
                     .where(SERVED.c.currency == currency, SERVED.c.date > last).scalar_subquery())
        where.append(SERVED.c.date <= func.coalesce(following, last))
    return (select(SERVED.c.date, SERVED.c.units_per_usd, SERVED.c.source)
            .where(*where).order_by(SERVED.c.date))


def _previous(db: Session | Connection, currency: str, first: date | None) -> Previous | None:
    """The X/USD rate and date of ``currency``'s last served row before ``first``, or None."""
    if first is None:
        return None
    row = db.execute(select(SERVED.c.date, SERVED.c.units_per_usd)
                     .where(SERVED.c.currency == currency, SERVED.c.date < first)
                     .order_by(SERVED.c.date.desc()).limit(1)).first()
    return None if row is None else (quotient(ONE, row[1]), row[0])


def _shown(currency: str, day: date, value: Decimal, source: str,
           previous: Previous | None) -> tuple[dict[str, str | int | None], Previous]:
    """The X/USD columns of one row (1 / units per USD, as the read path derives it), and the row as
    the next one's previous."""
    rate, digits = quotient(ONE, value), shown_digits(value)
    change, _prev_date = compare(rate, day, previous)
    shown, change_text = format_rate(rate, digits), format_change(change)
    line = csv_line([day.isoformat(), f"{currency}/{USD}", shown, change_text, source])
    # str() of a Decimal reads back to the same coefficient and exponent: usd_exact is the quotient itself.
    return {"usd_rate": shown, "usd_change": change_text or None, "usd_csv": line, "usd_exact": str(rate),
            "usd_digits": digits}, (rate, day)
