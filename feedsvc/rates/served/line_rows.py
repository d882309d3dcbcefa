"""The stored rows of ``rate_lines`` over a range of days: resolved again, numbered, written.

A pair's rows on [first, last] are the general path's (served/pairs.py: the best path of each day, then
the change and the weekend repeat rule of served/numbering.py), seeded with each pair's stored row
before ``first`` instead of a lookback; the stored rows of the REPEAT_DAYS after ``last`` are numbered
again from their own columns, since their change and repeat depend on the days before them. Which days
and pairs to compute, and when, is served/pair_lines.py's.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateLine
from feedsvc.rates.exact import Previous, csv_line, format_change, format_rate
from feedsvc.rates.pair import Pair
from feedsvc.rates.served.numbering import Last, Numbered, number_rows
from feedsvc.rates.served.pairs import REPEAT_DAYS, Derived, plan_of, resolve_days

LINES = RateLine.__table__
DEFAULT = ""  # the scope of the best path by priority
INSERT_ROWS = 5000  # rows per INSERT while a long range is computed: memory stays bounded


def write_rows(session: Session, scope: str, priority: tuple[str, ...], pairs: tuple[Pair, ...],
               first: date, last: date) -> None:
    """Rows of ``pairs`` in ``scope`` on [first, last] resolved again; the next REPEAT_DAYS re-numbered."""
    if not pairs:
        return
    wanted = set(pairs)
    previous, seen = _seeds(session, scope, wanted, first)
    after = last + timedelta(days=REPEAT_DAYS)
    tail = list(_stored_days(session, scope, wanted, last + timedelta(days=1), after))
    _delete(session, scope, pairs, first, after)
    resolved = (_digested(day, found) for day, found in
                resolve_days(session, pairs, plan_of(scope or None, priority), first, last))
    batch: list[dict[str, object]] = []
    for numbered in number_rows(itertools.chain(resolved, tail), pairs, previous, seen):
        batch.append(_row(scope, numbered, previous[numbered.pair]))
        if len(batch) >= INSERT_ROWS:
            session.execute(insert(LINES), batch)
            batch = []
    if batch:
        session.execute(insert(LINES), batch)


def _delete(session: Session, scope: str, pairs: tuple[Pair, ...], first: date, last: date) -> None:
    """Delete ``scope``'s rows of ``pairs`` on [first, last]: one primary-key range each, one statement."""
    stmt = delete(LINES).where(LINES.c.scope == scope, LINES.c.base == bindparam("b_base"),
                               LINES.c.quote == bindparam("b_quote"),
                               LINES.c.date.between(bindparam("first"), bindparam("last")))
    session.connection().execute(stmt, [{"b_base": p.base, "b_quote": p.quote, "first": first, "last": last}
                                        for p in pairs])


def _among(scope: str, pairs: set[Pair]) -> ColumnElement[bool]:
    """``scope``'s rows of the codes of ``pairs`` (a few more pairs, dropped by the caller): primary-key
    ranges for each base and quote, where a list of pairs would be compiled anew for each refresh."""
    bases, quotes = sorted({p.base for p in pairs}), sorted({p.quote for p in pairs})
    return and_(LINES.c.scope == scope, LINES.c.base.in_(bases), LINES.c.quote.in_(quotes))


def _digested(day: date, found: dict[Pair, Derived]) -> tuple[date, dict[Pair, Derived]]:
    """The day's values with what each published named by a short digest, as ``repeat`` stores it."""
    return day, {pair: value._replace(key=repeat_key(value.key)) for pair, value in found.items()}


def repeat_key(key: tuple | str) -> str:
    """A short stable name of what a row published: equal for the same table repeated."""
    return hashlib.sha256(repr(key).encode()).hexdigest()[:16]


Days = Iterator[tuple[date, dict[Pair, Derived]]]  # resolved values by date


def _seeds(session: Session, scope: str, pairs: set[Pair],
           first: date) -> tuple[dict[Pair, Previous], dict[Pair, Last]]:
    """Each pair's last new observation and last row before ``first``, from the stored rows of the
    REPEAT_DAYS before it (older rows change nothing after ``first``)."""
    previous: dict[Pair, Previous] = {}
    seen: dict[Pair, Last] = {}
    newest = func.row_number().over(partition_by=(LINES.c.base, LINES.c.quote), order_by=LINES.c.date.desc())
    rows = (select(LINES.c.base, LINES.c.quote, LINES.c.date, LINES.c.rate, LINES.c.repeat, LINES.c.change,
                   LINES.c.prev_date, LINES.c.observed, newest.label("newest"))
            .where(_among(scope, pairs), LINES.c.date.between(first - timedelta(days=REPEAT_DAYS),
                                                               first - timedelta(days=1)))
            .subquery())
    stmt = select(*list(rows.c)[:-1]).where(rows.c.newest == 1)
    for base, quote, day, rate, repeat, change, prev_date, observed in session.connection().execute(stmt):
        pair = Pair(base, quote)
        if pair in pairs:
            previous[pair] = (Decimal(rate), observed)
            seen[pair] = Last(repeat, day, None if change is None else Decimal(change), prev_date)
    return previous, seen


def _stored_days(session: Session, scope: str, pairs: set[Pair], first: date, last: date) -> Days:
    """The stored values of ``pairs`` on [first, last] by date, as resolved values to number again."""
    stmt = (select(LINES.c.date, LINES.c.base, LINES.c.quote, LINES.c.rate, LINES.c.digits, LINES.c.source,
                   LINES.c.repeat)
            .where(_among(scope, pairs), LINES.c.date.between(first, last)).order_by(LINES.c.date))
    days: dict[date, dict[Pair, Derived]] = {}
    for day, base, quote, rate, digits, source, repeat in session.connection().execute(stmt):
        pair = Pair(base, quote)
        if pair in pairs:
            days.setdefault(day, {})[pair] = Derived(Decimal(rate), digits, source, None, repeat)
    yield from sorted(days.items())


def _row(scope: str, numbered: Numbered, observation: Previous) -> dict[str, object]:
    """The stored row of one numbered value (``observation``: its pair's last new one)."""
    day, pair, found, change, prev_date, _repeated = numbered
    change_text = format_change(change)
    line = csv_line([day.isoformat(), str(pair), format_rate(found.rate, found.digits), change_text,
                     found.source])
    # str() of a Decimal reads back to the same coefficient and exponent, as usd_exact does.
    return {"scope": scope, "base": pair.base, "quote": pair.quote, "date": day, "csv": line,
            "rate": str(found.rate), "digits": found.digits, "source": found.source, "repeat": found.key,
            "change": None if change is None else str(change), "prev_date": prev_date,
            "observed": observation[1]}
