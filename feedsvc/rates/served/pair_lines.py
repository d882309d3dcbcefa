"""Every published pair's day rows as /rates.csv shows them, materialised on write in ``rate_lines``.

Scope '' holds, with the configured priority, every pair an enabled official source publishes, either
way round, except a bank's own currency against USD (``rate_served``'s lines); scope NAME holds every
line source NAME publishes and its inverse, read from its own table alone (``source=NAME``). Rows are
the general path's own (served/pairs.py: the best path of each day, then the change and the weekend
repeat rule), seeded with the stored row before the first day written instead of a lookback, so a
stored line is what the general path shows, byte for byte.

A pair's value on a day depends on that day's lines alone; the next rows' change and repeat depend on it
for at most REPEAT_DAYS. So a write of day D resolves D again and re-numbers the stored rows of the
REPEAT_DAYS after it from their own columns. A pair seen for the first time is computed over the whole
stored range (crosses may give it earlier days). ``rate_served_priority`` row 3 remembers the version,
format and priority the lines were computed with; ``ensure_lines`` computes them whole when it differs.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, delete, func, insert, select, tuple_
from sqlalchemy.orm import Session

from feedsvc.core.models import RateLine, RateLinePair, RateObservation, RateServedPriority
from feedsvc.rates.exact import Previous, csv_line, format_change, format_rate, format_version
from feedsvc.rates.pair import Pair
from feedsvc.rates.served.pairs import (
    REPEAT_DAYS,
    Derived,
    Last,
    Numbered,
    number_rows,
    official_sources,
    plan_of,
    resolve_days,
    served_pair,
)

LINES = RateLine.__table__
PAIRS = RateLinePair.__table__
LINES_ROW = 3  # rate_served_priority's row of what rate_lines were computed with
LINES_VERSION = "1"  # what is materialised and how: a change here computes the lines again
DEFAULT = ""  # the scope of the best path by priority
INSERT_ROWS = 5000  # rows per INSERT while a long range is computed: memory stays bounded


def lines_version(priority: tuple[str, ...]) -> str:
    """What the stored lines depend on: this module's version, the format, the priority."""
    return f"{LINES_VERSION}|{format_version()}|{','.join(priority)}"


def scopes(priority: tuple[str, ...]) -> tuple[str, ...]:
    """The materialised scopes: the default path, and each enabled source's own table."""
    return (DEFAULT, *priority)


def _sources(scope: str, priority: tuple[str, ...]) -> tuple[str, ...]:
    """The sources whose lines a scope's pairs are: the enabled official ones, or the scope's own."""
    return tuple(name for name in priority if name in official_sources()) if scope == DEFAULT else (scope,)


def _pairs_of(lines: Iterable[tuple[str, str]], scope: str) -> set[Pair]:
    """The pairs of published ``lines`` (currency, quote), both ways round, as ``scope`` keeps them."""
    pairs = {pair for currency, quote in lines for pair in (Pair(currency, quote), Pair(quote, currency))}
    return {pair for pair in pairs if scope != DEFAULT or not served_pair(pair)}


def ensure_lines(session: Session, priority: tuple[str, ...]) -> bool:
    """Compute every scope's lines whole unless they were computed with this version, format and
    priority; True if they were."""
    row = session.get(RateServedPriority, LINES_ROW, populate_existing=True)
    if row is not None and row.sources == lines_version(priority):
        return False
    rebuild_lines(session, priority)
    return True


def rebuild_lines(session: Session, priority: tuple[str, ...]) -> None:
    """Compute every scope's lines over the whole stored range, and remember what with."""
    session.flush()
    session.execute(delete(LINES))
    session.execute(delete(PAIRS))
    for scope in scopes(priority):
        sources = _sources(scope, priority)
        obs = RateObservation
        lines = session.execute(select(obs.currency, obs.quote).where(obs.source.in_(sources)).distinct())
        _add_pairs(session, scope, priority, _pairs_of(lines, scope))
    row = session.get(RateServedPriority, LINES_ROW)
    if row is None:
        session.add(RateServedPriority(id=LINES_ROW, sources=lines_version(priority)))
    else:
        row.sources = lines_version(priority)
    session.flush()


def refresh_lines(session: Session, priority: tuple[str, ...], written: dict[str, set[date]]) -> None:
    """Recompute the lines of each scope on the days written to its sources (``written``: source -> days),
    and the rows after them whose change or repeat depends on them."""
    session.flush()  # the write's pending rows must be visible to the queries below
    days: dict[str, set[date]] = {}
    for source, when in written.items():
        if source in priority and when:
            days.setdefault(DEFAULT, set()).update(when)
            days.setdefault(source, set()).update(when)
    for scope, when in sorted(days.items()):
        known = set(_stored_pairs(session, scope))
        obs = RateObservation
        lines = session.execute(select(obs.currency, obs.quote).distinct().where(
            obs.source.in_(_sources(scope, priority)), obs.date.in_(sorted(when))))
        new = _pairs_of(lines, scope) - known
        if known:
            _refresh(session, scope, priority, _ordered(known), min(when), max(when), whole=True)
        if new:
            _add_pairs(session, scope, priority, new)


def _stored_pairs(session: Session, scope: str) -> list[Pair]:
    """The pairs ``rate_lines`` holds in ``scope``."""
    rows = session.execute(select(PAIRS.c.base, PAIRS.c.quote).where(PAIRS.c.scope == scope))
    return [Pair(base, quote) for base, quote in rows]


def _ordered(pairs: Iterable[Pair]) -> tuple[Pair, ...]:
    return tuple(sorted(pairs, key=str))


def _add_pairs(session: Session, scope: str, priority: tuple[str, ...], pairs: set[Pair]) -> None:
    """Start keeping ``pairs`` in ``scope``: their rows over every date with an observation."""
    if not pairs:
        return
    session.execute(insert(PAIRS), [{"scope": scope, "base": p.base, "quote": p.quote} for p in pairs])
    obs = RateObservation
    first, last = session.execute(select(func.min(obs.date), func.max(obs.date))).one()
    if first is not None:
        _refresh(session, scope, priority, _ordered(pairs), first, last, whole=False)


def _refresh(session: Session, scope: str, priority: tuple[str, ...], pairs: tuple[Pair, ...], first: date,
             last: date, whole: bool) -> None:
    """Rows of ``pairs`` in ``scope`` on [first, last] resolved again, and the next REPEAT_DAYS re-numbered
    (``whole``: ``pairs`` are every pair the scope keeps)."""
    which = _which(scope, None if whole else pairs)
    previous, seen = _seeds(session, which, first)
    after = last + timedelta(days=REPEAT_DAYS)
    tail = list(_stored_days(session, which, last + timedelta(days=1), after))
    session.execute(delete(LINES).where(which, LINES.c.date.between(first, after)))
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


def _which(scope: str, pairs: tuple[Pair, ...] | None) -> ColumnElement[bool]:
    """The condition of ``scope``'s rows of ``pairs`` (None: every pair it keeps, by the date index)."""
    if pairs is None:
        return LINES.c.scope == scope
    return and_(LINES.c.scope == scope, tuple_(LINES.c.base, LINES.c.quote).in_([(p.base, p.quote)
                                                                                  for p in pairs]))


def _digested(day: date, found: dict[Pair, Derived]) -> tuple[date, dict[Pair, Derived]]:
    """The day's values with what each published named by a short digest, as ``repeat`` stores it."""
    return day, {pair: value._replace(key=repeat_key(value.key)) for pair, value in found.items()}


def repeat_key(key: tuple | str) -> str:
    """A short stable name of what a row published: equal for the same table repeated."""
    return hashlib.sha256(repr(key).encode()).hexdigest()[:16]


Days = Iterator[tuple[date, dict[Pair, Derived]]]  # resolved values by date


def _seeds(session: Session, which: ColumnElement[bool],
           first: date) -> tuple[dict[Pair, Previous], dict[Pair, Last]]:
    """Each pair's last new observation and last row before ``first``, from the stored rows of the
    REPEAT_DAYS before it (older rows change nothing after ``first``)."""
    previous: dict[Pair, Previous] = {}
    seen: dict[Pair, Last] = {}
    stmt = (select(LINES.c.base, LINES.c.quote, LINES.c.date, LINES.c.rate, LINES.c.repeat, LINES.c.change,
                   LINES.c.prev_date, LINES.c.observed)
            .where(which, LINES.c.date.between(first - timedelta(days=REPEAT_DAYS),
                                               first - timedelta(days=1)))
            .order_by(LINES.c.date))
    for base, quote, day, rate, repeat, change, prev_date, observed in session.execute(stmt):
        pair = Pair(base, quote)
        previous[pair] = (Decimal(rate), observed)
        seen[pair] = Last(repeat, day, None if change is None else Decimal(change), prev_date)
    return previous, seen


def _stored_days(session: Session, which: ColumnElement[bool], first: date, last: date) -> Days:
    """The stored values of [first, last] by date, as resolved values to number again."""
    stmt = (select(LINES.c.date, LINES.c.base, LINES.c.quote, LINES.c.rate, LINES.c.digits, LINES.c.source,
                   LINES.c.repeat)
            .where(which, LINES.c.date.between(first, last)).order_by(LINES.c.date))
    days: dict[date, dict[Pair, Derived]] = {}
    for day, base, quote, rate, digits, source, repeat in session.execute(stmt):
        days.setdefault(day, {})[Pair(base, quote)] = Derived(Decimal(rate), digits, source, None, repeat)
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


