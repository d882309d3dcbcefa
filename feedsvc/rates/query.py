"""Rate queries: the served value of each (date, currency), pairs derived from it, and change."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal
from operator import itemgetter
from typing import NamedTuple

from sqlalchemy import ColumnElement, FromClause, Select, exists, func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation, RateRun, RateServed
from feedsvc.rates.constants import BLOCKING, HELD, MIN_DIGITS, USD
from feedsvc.rates.params import Pair, RateQuery

_DIVISION = Context(prec=40)  # far more digits than any source publishes
_HUNDREDTH = Decimal("0.01")
_ONE = Decimal(1)
CHANGE_DAYS = 7  # a change is shown against an observation at most this many days older


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


Served = dict[str, tuple[Decimal, str]]  # currency -> (units per USD, source)
STREAM_ROWS = 500  # rows fetched per round trip of a streamed series; memory stays flat however long


def not_held_back(obs: type[RateObservation]) -> ColumnElement[bool]:
    """True for an observation no ``held`` or ``refused`` anomaly names, with exactly its value.

    The value matters: an upstream correction is a new value, which the guards judge afresh.
    """
    return ~exists().where(
        RateAnomaly.status.in_(BLOCKING),
        RateAnomaly.source == obs.source,
        RateAnomaly.date == obs.date,
        RateAnomaly.currency == obs.currency,
        RateAnomaly.value == obs.units_per_usd,
    )


def served_table(sources: tuple[str, ...]) -> FromClause:
    """Rows (date, currency, source, units_per_usd) the series of ``sources`` reads, keyed by date.

    By priority (several sources): ``rate_served``, materialised on write with that priority
    (feedsvc/rates/served.py). One source (``source=NAME``): its own observations, held-back ones
    left out, through the (source, date, currency) unique index.
    """
    if len(sources) != 1:
        return RateServed.__table__
    obs = RateObservation
    return (select(obs.date, obs.currency, obs.source, obs.units_per_usd)
            .where(obs.source == sources[0], not_held_back(obs)).subquery("own"))


def newest_date(session: Session, currencies: tuple[str, ...], sources: tuple[str, ...]) -> date | None:
    """The newest date with a servable observation of any of ``currencies``, or None."""
    rows = served_table(sources)
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


def previous_pair_date(session: Session, pair: Pair, sources: tuple[str, ...], before: date) -> date | None:
    """The last date before ``before`` on which every currency of ``pair`` has a servable value."""
    return _scalars(session, [_last_date_before(served_table(sources), pair, before)])[0]


def _served_rows(session: Session, rows: FromClause, currencies: tuple[str, ...],
                 *where: ColumnElement[bool]) -> Iterator[tuple[date, Served]]:
    """Each date matching ``where`` with data, and its served values: one query, streamed in order."""
    stmt = (select(rows.c.date, rows.c.currency, rows.c.units_per_usd, rows.c.source)
            .where(rows.c.currency.in_(currencies), *where)
            .order_by(rows.c.date, rows.c.currency)
            .execution_options(yield_per=STREAM_ROWS))
    for day, group in itertools.groupby(session.execute(stmt), key=itemgetter(0)):
        yield day, {currency: (value, source) for _, currency, value, source in group}


def iter_served_days(
    session: Session, currencies: tuple[str, ...], sources: tuple[str, ...], start: date, end: date
) -> Iterator[tuple[date, Served]]:
    """Each date in [start, end] with data, and per currency the value of the first source by priority."""
    rows = served_table(sources)
    return _served_rows(session, rows, currencies, rows.c.date >= start, rows.c.date <= end)


def _served_on(session: Session, rows: FromClause, currencies: tuple[str, ...],
               days: Iterable[date | None]) -> dict[date, Served]:
    """The served values on a few ``days`` (Nones ignored), in one query."""
    wanted = sorted({day for day in days if day is not None})
    return dict(_served_rows(session, rows, currencies, rows.c.date.in_(wanted))) if wanted else {}


def significant_digits(value: Decimal) -> int:
    """The number of digits of ``value``'s coefficient: ``len(value.as_tuple().digits)``, faster."""
    # as_tuple() builds a tuple of digits, a microsecond per row of a long series; str() is plain
    # notation ("0.0025", "512.00") except for tiny or huge values, which take the slow way.
    digits = str(value).replace(".", "").lstrip("-0")
    return len(digits) if digits.isdigit() else len(value.as_tuple().digits)


def derive_rate(pair: Pair, served: Served) -> tuple[Decimal, int, str] | None:
    """The pair's rate, significant digits and source from one day's values, or None."""
    if USD in (pair.base, pair.quote):  # the inverse of a stored value, or the value itself
        found = served.get(pair.currencies[0])
        if found is None:
            return None
        value, source = found
        digits = significant_digits(value)
        base, quote = (value, _ONE) if pair.quote == USD else (_ONE, value)
    else:  # a cross rate through USD
        base_found, quote_found = served.get(pair.base), served.get(pair.quote)
        if base_found is None or quote_found is None:
            return None
        (base, base_source), (quote, quote_source) = base_found, quote_found
        digits = max(significant_digits(base), significant_digits(quote))
        source = base_source if base_source == quote_source else f"{base_source}+{quote_source}"
    # Never fewer digits than the source published, never fewer than six.
    return _DIVISION.divide(quote, base), max(MIN_DIGITS, digits), source


Previous = tuple[Decimal, date]  # a pair's earlier rate and its date


def compare(rate: Decimal, day: date, previous: Previous | None) -> tuple[Decimal | None, date | None]:
    """``change_pct`` and ``prev_date`` of a row: None when the previous observation is over a week older.

    A change across a gap of months is not a day's movement: a ticker showing one misleads (the demo's
    KZT "+5.46 %" across four months).
    """
    if previous is None:
        return None, None
    last, last_day = previous
    if (day - last_day).days > CHANGE_DAYS:
        return None, None
    return change_pct(rate, last), last_day


def change_pct(rate: Decimal, previous: Decimal | None) -> Decimal | None:
    """100 × (rate / previous − 1), to two decimals; None without a previous rate."""
    if previous is None:
        return None
    change = (_DIVISION.divide(rate, previous) - 1) * 100
    return change.quantize(_HUNDREDTH, rounding=ROUND_HALF_EVEN) + 0  # + 0 turns -0.00 into 0.00


def select_series(session: Session, query: RateQuery, sources: tuple[str, ...]) -> Iterator[RateRow]:
    """Rows of every pair of a resolved ``query``, by date then pair order, lazily from the database."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    rows = served_table(sources)
    # change_pct compares with the previous observation, which may lie before ``from``: fetch just
    # those days (one query for the dates, one for their values), then stream the range itself.
    before = _scalars(session, [_last_date_before(rows, pair, query.start) for pair in query.pairs])
    earlier = _served_on(session, rows, query.currencies, before)
    previous = {pair: _previous_on(pair, earlier, day) for pair, day in zip(query.pairs, before, strict=True)}
    for day, served in iter_served_days(session, query.currencies, sources, query.start, query.end):
        for pair in query.pairs:
            derived = derive_rate(pair, served)
            if derived is None:
                continue
            rate, digits, source = derived
            change, prev_date = compare(rate, day, previous.get(pair))
            yield RateRow(day, pair, rate, digits, change, source, prev_date)
            previous[pair] = (rate, day)


def _previous_on(pair: Pair, served: dict[date, Served], day: date | None) -> Previous | None:
    """The pair's rate and date on ``day`` from ``served``, or None."""
    derived = derive_rate(pair, served[day]) if day is not None and day in served else None
    return (derived[0], day) if derived and day is not None else None


def select_latest(session: Session, pairs: tuple[Pair, ...], sources: tuple[str, ...]) -> list[RateRow]:
    """The newest row of each pair (pairs without data are left out): two queries for all pairs."""
    rows = served_table(sources)
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


ANOMALIES_LISTED = 50  # /rates/sources.json lists a source's newest anomalies; ``rates review`` lists all


@dataclass(frozen=True)
class SourceStatus:
    """What is stored and recorded for one source: dates, runs, held-back values and other anomalies."""

    first_date: date | None
    last_date: date | None
    last_success: datetime | None
    last_error: RateRun | None
    held_back: list[RateAnomaly]
    anomaly_counts: dict[str, int]  # status -> how many
    anomalies: list[RateAnomaly]  # the newest ANOMALIES_LISTED, by date


def select_source_status(session: Session, name: str) -> SourceStatus:
    """Stored date range, last good run, last failed run, held-back values and anomalies of ``name``."""
    obs = RateObservation
    first, last = session.execute(
        select(func.min(obs.date), func.max(obs.date)).where(obs.source == name)
    ).one()
    success = session.scalar(
        select(func.max(RateRun.finished_at)).where(RateRun.source == name, RateRun.error.is_(None))
    )
    error = session.scalars(
        select(RateRun).where(RateRun.source == name, RateRun.error.is_not(None))
        .order_by(RateRun.started_at.desc(), RateRun.id.desc()).limit(1)
    ).first()
    newest = (select(RateAnomaly).where(RateAnomaly.source == name)
              .order_by(RateAnomaly.date.desc(), RateAnomaly.currency, RateAnomaly.reason))
    held = session.scalars(newest.where(RateAnomaly.status == HELD)).all()
    counts = session.execute(select(RateAnomaly.status, func.count()).where(RateAnomaly.source == name)
                             .group_by(RateAnomaly.status))
    anomalies = session.scalars(newest.limit(ANOMALIES_LISTED)).all()
    by_status = {status: count for status, count in counts}
    return SourceStatus(first, last, success, error, list(held), by_status, list(anomalies))


def last_update_success(session: Session, constant: Iterable[str]) -> datetime | None:
    """When an update of a real upstream (not one of ``constant``) last finished without an error."""
    # A backfill of old days, or the constant TMT peg, succeeding says nothing about fresh rates.
    return session.scalars(
        select(RateRun.finished_at)
        .where(RateRun.job == "update", RateRun.error.is_(None), RateRun.finished_at.is_not(None))
        .where(RateRun.source.not_in(list(constant)))
        .order_by(RateRun.finished_at.desc())
        .limit(1)
    ).first()
