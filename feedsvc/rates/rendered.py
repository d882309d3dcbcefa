"""The X/USD rows as the formats show them, materialised in ``rate_served`` on write, streamed as CSV lines.

Each served row keeps its X/USD rate and change as the exact strings CSV and JSON show (``usd_rate``,
``usd_change``), its whole long CSV line (``usd_csv``), and the unrounded quotient with its digits
(``usd_exact``, ``usd_digits``: what group=week|month|year sums, feedsvc/rates/usd_periods.py), all
computed with the read path's own functions (``derive_rate``, ``compare``, ``format_rate``,
``format_change``). So the default long CSV is one column read in one range scan, with no Python
arithmetic per row (issue 11, point 8, aim b; the database concatenating the line instead cost about
as much as the rest of the read). Every write to ``rate_served`` refreshes the rows it touched and the
next served row of each currency after them, whose change compares with them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Connection, Select, bindparam, case, func, select, update
from sqlalchemy.orm import Session

from feedsvc.core.models import RateServed
from feedsvc.rates.constants import USD
from feedsvc.rates.params import Pair, RateQuery
from feedsvc.rates.query import STREAM_ROWS, Previous, compare, derive_rate
from feedsvc.rates.render import format_change, format_rate

SERVED = RateServed.__table__
CSV_HEADER = "date,pair,rate,change_pct,source\r\n"  # what render_csv writes for long day rows


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
    row = db.execute(select(SERVED.c.date, SERVED.c.units_per_usd, SERVED.c.source)
                     .where(SERVED.c.currency == currency, SERVED.c.date < first)
                     .order_by(SERVED.c.date.desc()).limit(1)).first()
    return None if row is None else (_derive(currency, row[1], row[2])[0], row[0])


def _derive(currency: str, value: Decimal, source: str) -> tuple[Decimal, int, str]:
    """X/USD of one stored value, with its digits and source, as ``select_series`` derives it."""
    derived = derive_rate(Pair(currency, USD), {currency: (value, source)})
    assert derived is not None, "a stored currency always has its X/USD rate"
    return derived


def _shown(currency: str, day: date, value: Decimal, source: str,
           previous: Previous | None) -> tuple[dict[str, str | int | None], Previous]:
    """The X/USD columns of one row, and the row as the next one's previous."""
    rate, digits, _source = _derive(currency, value, source)
    change, _prev_date = compare(rate, day, previous)
    shown, change_text = format_rate(rate, digits), format_change(change)
    line = _csv_line([day.isoformat(), f"{currency}/{USD}", shown, change_text, source])
    # str() of a Decimal reads back to the same coefficient and exponent: usd_exact is the quotient itself.
    return {"usd_rate": shown, "usd_change": change_text or None, "usd_csv": line, "usd_exact": str(rate),
            "usd_digits": digits}, (rate, day)


def _csv_line(fields: list[str]) -> str:
    """One CSV line as render_csv writes it (same writer settings, so the same quoting)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(fields)
    return buffer.getvalue()


def usd_only(query: RateQuery, sources: tuple[str, ...]) -> bool:
    """True when ``query`` reads only X/USD pairs of rate_served (the materialised columns serve it)."""
    # One source (source=NAME, or a single enabled one) reads that source's observations, not rate_served.
    return query.source is None and len(sources) != 1 and all(pair.quote == USD for pair in query.pairs)


def fits_usd_csv(query: RateQuery, sources: tuple[str, ...]) -> bool:
    """True when ``query``'s CSV is the materialised X/USD lines: long day rows of served X/USD pairs."""
    return query.layout == "long" and query.group == "day" and usd_only(query, sources)


def stream_usd_csv(session: Session, query: RateQuery) -> Iterator[str]:
    """The long CSV of a query that ``fits_usd_csv``, in chunks: one range scan of stored lines."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    currencies = [pair.base for pair in query.pairs]
    stmt = (select(SERVED.c.usd_csv)
            .where(SERVED.c.currency.in_(currencies), SERVED.c.date.between(query.start, query.end))
            # The pairs' order within a day, as the slow path yields them.
            .order_by(SERVED.c.date, case({c: i for i, c in enumerate(currencies)}, value=SERVED.c.currency)))
    yield CSV_HEADER
    for lines in fetch_raw(session, stmt):
        yield "".join([line for (line,) in lines])


def fetch_raw(session: Session, stmt: Select) -> Iterator[list[tuple[str]]]:
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
