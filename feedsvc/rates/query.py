"""Rate queries: the served value of each (date, currency), pairs derived from it, and change."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from feedsvc.models import RateAnomaly, RateObservation, RateRun
from feedsvc.rates.constants import HELD_BACK, MIN_DIGITS, USD
from feedsvc.rates.params import Pair, RateQuery

_DIVISION = Context(prec=40)  # far more digits than any source publishes
_HUNDREDTH = Decimal("0.01")
_ONE = Decimal(1)
WINDOW_DAYS = 92  # days per query of a long series


@dataclass(frozen=True)
class RateRow:
    """One served rate: 1 base = ``rate`` quote on ``date``; ``digits`` significant digits to show."""

    date: date
    pair: Pair
    rate: Decimal
    digits: int
    change_pct: Decimal | None
    source: str


Served = dict[str, tuple[Decimal, str]]  # currency -> (units per USD, source)


def _servable(obs: type[RateObservation], currencies: tuple[str, ...], sources: tuple[str, ...]):  # noqa: ANN202
    """Observations of ``currencies`` from ``sources`` that are not held back."""
    held = exists().where(
        RateAnomaly.reason == HELD_BACK,
        RateAnomaly.source == obs.source,
        RateAnomaly.date == obs.date,
        RateAnomaly.currency == obs.currency,
    )
    return and_(obs.currency.in_(currencies), obs.source.in_(sources), ~held)


def newest_date(session: Session, currencies: tuple[str, ...], sources: tuple[str, ...]) -> date | None:
    """The newest date with a servable observation of any of ``currencies``, or None."""
    obs = RateObservation
    return session.scalar(select(func.max(obs.date)).where(_servable(obs, currencies, sources)))


def previous_pair_date(session: Session, pair: Pair, sources: tuple[str, ...], before: date) -> date | None:
    """The last date before ``before`` on which every currency of ``pair`` has a servable value."""
    aliases = [aliased(RateObservation) for _ in pair.currencies]
    if not aliases:
        return None
    first = aliases[0]
    stmt = select(func.max(first.date)).where(first.date < before)
    for alias, currency in zip(aliases, pair.currencies, strict=True):
        stmt = stmt.where(_servable(alias, (currency,), sources), alias.date == first.date)
    return session.scalar(stmt)


def iter_served_days(
    session: Session, currencies: tuple[str, ...], sources: tuple[str, ...], start: date, end: date
) -> Iterator[tuple[date, Served]]:
    """Each date in [start, end] with data, and per currency the value of the first source by priority."""
    priority = {name: rank for rank, name in enumerate(sources)}
    for day, rows in itertools.groupby(_windowed_rows(session, currencies, sources, start, end),
                                       key=lambda row: row[0]):
        served: Served = {}
        ranks: dict[str, int] = {}
        for _, currency, source, value in rows:
            if priority[source] < ranks.get(currency, len(priority)):
                served[currency], ranks[currency] = (value, source), priority[source]
        yield day, served


def _windowed_rows(
    session: Session, currencies: tuple[str, ...], sources: tuple[str, ...], start: date, end: date
) -> Iterator[tuple[date, str, str, Decimal]]:
    """Observation rows by date, one query per window of days.

    No index serves ``ORDER BY date`` across several sources, so the database sorts: windows keep each
    sort small, and the worker's memory flat however long the range (bench/rates.py).
    """
    obs = RateObservation
    while start <= end:
        stop = min(end, start + timedelta(days=WINDOW_DAYS - 1))
        stmt = (
            select(obs.date, obs.currency, obs.source, obs.units_per_usd)
            .where(_servable(obs, currencies, sources), obs.date >= start, obs.date <= stop)
            .order_by(obs.date, obs.currency)
        )
        yield from session.execute(stmt)  # type: ignore[misc]
        start = stop + timedelta(days=1)


def derive_rate(pair: Pair, served: Served) -> tuple[Decimal, int, str] | None:
    """The pair's rate, significant digits and source from one day's values, or None."""
    values = [served.get(c) for c in pair.currencies]
    if None in values:
        return None
    base = served[pair.base][0] if pair.base != USD else _ONE
    quote = served[pair.quote][0] if pair.quote != USD else _ONE
    # Never fewer digits than the source published, never fewer than six.
    digits = max(MIN_DIGITS, *(len(value.as_tuple().digits) for value, _ in values))
    sources = [source for _, source in values]
    source = sources[0] if len(sources) == 1 or sources[0] == sources[1] else "+".join(sources)
    return _DIVISION.divide(quote, base), digits, source


def change_pct(rate: Decimal, previous: Decimal | None) -> Decimal | None:
    """100 × (rate / previous − 1), to two decimals; None without a previous rate."""
    if previous is None:
        return None
    change = (_DIVISION.divide(rate, previous) - 1) * 100
    return change.quantize(_HUNDREDTH, rounding=ROUND_HALF_EVEN) + 0  # + 0 turns -0.00 into 0.00


def select_series(session: Session, query: RateQuery, sources: tuple[str, ...]) -> Iterator[RateRow]:
    """Rows of every pair of a resolved ``query``, by date then pair order, lazily from the database."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    # change_pct compares with the previous observation, which may lie before ``from``.
    previous_dates = [previous_pair_date(session, p, sources, query.start) for p in query.pairs]
    lookback = min((d for d in previous_dates if d is not None), default=query.start)
    previous: dict[Pair, Decimal] = {}
    for day, served in iter_served_days(session, query.currencies, sources, lookback, query.end):
        for pair in query.pairs:
            derived = derive_rate(pair, served)
            if derived is None:
                continue
            rate, digits, source = derived
            if day >= query.start:
                yield RateRow(day, pair, rate, digits, change_pct(rate, previous.get(pair)), source)
            previous[pair] = rate


def select_latest(session: Session, pairs: tuple[Pair, ...], sources: tuple[str, ...]) -> list[RateRow]:
    """The newest row of each pair (pairs without data are left out)."""
    latest = []
    for pair in pairs:
        day = previous_pair_date(session, pair, sources, date.max)
        if day is not None:
            rows = list(select_series(session, RateQuery((pair,), day, day), sources))
            latest.extend(rows[-1:])
    return latest


@dataclass(frozen=True)
class SourceStatus:
    """What is stored and recorded for one source: dates, runs and held-back observations."""

    first_date: date | None
    last_date: date | None
    last_success: datetime | None
    last_error: RateRun | None
    held_back: list[RateAnomaly]


def select_source_status(session: Session, name: str) -> SourceStatus:
    """Stored date range, last good run, last failed run and held-back values of source ``name``."""
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
    held = session.scalars(
        select(RateAnomaly).where(RateAnomaly.source == name, RateAnomaly.reason == HELD_BACK)
        .order_by(RateAnomaly.date.desc(), RateAnomaly.currency)
    ).all()
    return SourceStatus(first, last, success, error, list(held))


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
