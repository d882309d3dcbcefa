"""Any pair from the stored tables, by the best path of each day, naming it; and each row's change.

Per day and pair, the first that gives a value:
1. a line that publishes the pair or its inverse, from the first source by priority (as published,
   ``value / nominal``, or its exact inverse ``nominal / value``);
2. a cross through one currency common to two official tables of that day (or one table: EUR/RUB from
   NBK's EUR and RUB lines), the tables' sources first by priority, through USD when both list it;
3. a cross through USD of the served values (``rate_served``: currency-api where no bank has a USD line).
``source=NAME`` (or a single enabled source) reads that source's table alone: steps 1 and 2 on it.
A pair of USD and a bank's own currency is the served X/USD line: step 1 alone, as ``rate_served``.

A pair's value on a day depends on that day's stored lines alone, never on the other pairs asked, so
the read side (read/pairs.py) and the stored lines (served/pair_lines.py) share this one resolution.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import ColumnElement, Select, and_, exists, null, or_, select, union_all
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateFetch, RateObservation
from feedsvc.rates.constants import BLOCKING, USD
from feedsvc.rates.exact import (
    CHANGE_DAYS,
    EXACT,
    per_unit,
    quotient,
    shown_digits,
)
from feedsvc.rates.pair import Pair
from feedsvc.rates.served.through_usd import derive_digest, derive_rate, served_rows, served_values
from feedsvc.rates.sources import all_source_classes

CHUNK_ROWS = 1000  # rows (days x pairs) resolved per round of queries: memory stays flat over any range
FEW_PAIRS = 4  # up to this many pairs, their lines are read through (currency, quote, date) ranges
# A row's change depends on rows at most this many days older: CHANGE_DAYS, and a Sunday that repeats a
# Saturday that repeats Friday's table keeps Friday's change.
REPEAT_DAYS = CHANGE_DAYS + 2


class Derived(NamedTuple):
    """A pair's value on one day: rate, digits to show, how (source names), payload digest(s), and what
    was published (``key``: the same key on consecutive days is the same table repeated)."""

    rate: Decimal
    digits: int
    source: str
    digest: str | None
    key: tuple | str


class Leg(NamedTuple):
    """One stored line read as ``1 X = numerator / denominator`` of the other currency."""

    priority: int
    numerator: Decimal
    denominator: Decimal
    value: Decimal  # as published, for the digits to show
    source: str
    digest: str | None
    key: tuple


@dataclass(frozen=True)
class Plan:
    """What the table path may read: sources for direct lines, for crosses, and the served cross."""

    direct: tuple[str, ...]
    cross: tuple[str, ...]
    served: bool
    homes: frozenset[str]  # the banks' own currencies: X/USD of these is the served line

    def crosses(self, pair: Pair) -> bool:
        """True unless ``pair`` is a bank's own currency against USD (the served X/USD line)."""
        return not (USD in (pair.base, pair.quote) and {pair.base, pair.quote} - {USD} <= self.homes)


def not_held_back(obs: type[RateObservation]) -> ColumnElement[bool]:
    """True for an observation no ``held`` or ``refused`` anomaly names, with exactly its value.

    The value matters: an upstream correction is a new value, which the guards judge afresh.
    """
    return ~exists().where(
        RateAnomaly.status.in_(BLOCKING),
        RateAnomaly.source == obs.source,
        RateAnomaly.date == obs.date,
        RateAnomaly.currency == obs.currency,
        RateAnomaly.quote == obs.quote,
        RateAnomaly.value == obs.value,
        RateAnomaly.nominal == obs.nominal,
    )


@functools.cache
def home_currencies() -> frozenset[str]:
    """The banks' own currencies (KZT, KGS, TJS, UZS, TMT): the quote of every official source."""
    return frozenset(cls.quote for cls in all_source_classes().values() if cls.quote)


@functools.cache
def official_sources() -> frozenset[str]:
    """The sources that publish a table in their own currency (every one but currency-api)."""
    return frozenset(name for name, cls in all_source_classes().items() if cls.quote)


def served_pair(pair: Pair) -> bool:
    """True for a bank's own currency against USD, either way round: a line of ``rate_served``."""
    other = pair.quote if pair.base == USD else pair.base if pair.quote == USD else None
    return other in home_currencies()


def plan_of(own: str | None, enabled: tuple[str, ...]) -> Plan:
    """What a query reads: ``own``'s table alone, or (None) every enabled source by priority."""
    if own is not None:
        return Plan((own,), (own,), False, home_currencies())
    return Plan(enabled, tuple(name for name in enabled if name in official_sources()), True,
                home_currencies())


def resolve_days(session: Session, pairs: tuple[Pair, ...], plan: Plan, start: date, end: date,
                 provenance: bool = False) -> Iterator[tuple[date, dict[Pair, Derived]]]:
    """Each day of [start, end] with a value of any pair, and each pair's value, in date order."""
    first, chunk = start, max(31, CHUNK_ROWS // len(pairs))
    while first <= end:
        last = min(end, first + timedelta(days=chunk - 1))
        days = _resolve_chunk(session, pairs, plan, first, last, provenance)
        yield from sorted(days.items())
        first = last + timedelta(days=1)


def _resolve_chunk(session: Session, pairs: tuple[Pair, ...], plan: Plan, first: date, last: date,
                   provenance: bool) -> dict[date, dict[Pair, Derived]]:
    days: dict[date, dict[Pair, Derived]] = {}
    rank = {name: position for position, name in enumerate(plan.direct)}
    for day, lines in _lines(session, plan.direct, first, last, provenance, pairs=pairs):
        if len(rank) > 1:  # the first source's line last, so that it stays
            lines.sort(key=lambda line: rank[line[0]], reverse=True)
        by_line = {(line[1], line[2]): line for line in lines}
        found = {pair: _direct(pair, by_line, rank) for pair in pairs}
        days[day] = {pair: value for pair, value in found.items() if value is not None}
    calendar = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    crossing = [pair for pair in pairs if plan.crosses(pair)]
    missing = [day for day in calendar if any(pair not in days.get(day, {}) for pair in crossing)]
    if missing and plan.cross:
        codes = sorted({c for pair in crossing for c in (pair.base, pair.quote)})
        for day, lines in _lines(session, plan.cross, first, last, provenance, codes=codes, days=missing):
            naming: dict[str, list[Line]] = {}  # each code's lines, looked up per pair instead of scanned
            for line in lines:
                naming.setdefault(line[1], []).append(line)
                naming.setdefault(line[2], []).append(line)
            for pair in (p for p in crossing if p not in days.get(day, {})):
                found = _cross(pair, naming, plan.cross)
                if found is not None:
                    days.setdefault(day, {})[pair] = found
        missing = [day for day in missing if any(pair not in days.get(day, {}) for pair in crossing)]
    if missing and plan.served:
        _served_cross(session, crossing, missing, provenance, days)
    return days


Line = tuple  # (source, currency, quote, nominal, value, digest)


def _lines(session: Session, sources: tuple[str, ...], first: date, last: date, provenance: bool, *,
           pairs: tuple[Pair, ...] = (), codes: list[str] | None = None,
           days: list[date] | None = None) -> Iterator[tuple[date, list[Line]]]:
    """The servable lines of ``sources`` on [first, last] (or ``days``) publishing one of ``pairs`` (either
    way round) or naming one of ``codes``, grouped by date."""
    obs = RateObservation
    when = obs.date.in_(days) if days is not None else obs.date.between(first, last)
    if codes is not None:
        wanted = [or_(obs.currency.in_(codes), obs.quote.in_(codes))]
    elif len(pairs) > FEW_PAIRS:  # a table's worth: the (source, date) index, the few extra lines dropped
        codes = sorted({c for pair in pairs for c in (pair.base, pair.quote)})
        wanted = [and_(obs.currency.in_(codes), obs.quote.in_(codes))]
    else:  # one index range (currency, quote, date) per line: an OR of them would scan all dates
        lines = dict.fromkeys(line for p in pairs for line in ((p.base, p.quote), (p.quote, p.base)))
        wanted = [and_(obs.currency == a, obs.quote == b) for a, b in lines]
    selects = [_select_lines(provenance).where(obs.source.in_(sources), when, which, not_held_back(obs))
               for which in wanted]
    stmt = selects[0] if len(selects) == 1 else union_all(*selects)
    current: date | None = None
    group: list[Line] = []
    for row in session.connection().execute(stmt.order_by("date")):  # Core rows: no ORM loading per row
        if row[0] != current:
            if group:
                yield current, group  # type: ignore[misc]
            current, group = row[0], []
        group.append(tuple(row[1:]))
    if group:
        yield current, group  # type: ignore[misc]


def _select_lines(provenance: bool) -> Select:
    """(date, source, currency, quote, nominal, value, digest) of stored lines (digest NULL without
    provenance=1)."""
    obs = RateObservation
    columns = [obs.date, obs.source, obs.currency, obs.quote, obs.nominal, obs.value]
    if not provenance:
        return select(*columns, null().label("digest"))
    return (select(*columns, RateFetch.sha256.label("digest"))
            .outerjoin(RateFetch, RateFetch.id == obs.fetch_id))


def _legs(code: str, lines: list[Line], sources: tuple[str, ...]) -> dict[str, list[Leg]]:
    """Per other currency C, every line that prices ``code`` in C or C in ``code``, as 1 code = n/d C."""
    legs: dict[str, list[Leg]] = {}
    for source, currency, quote, nominal, value, digest in lines:
        if code not in (currency, quote):
            continue
        key = (source, currency, quote, nominal, value)
        if currency == code:  # nominal units of code = value quote
            leg = Leg(sources.index(source), value, Decimal(nominal), value, source, digest, key)
        else:
            leg = Leg(sources.index(source), Decimal(nominal), value, value, source, digest, key)
        legs.setdefault(quote if currency == code else currency, []).append(leg)
    return legs


def _direct(pair: Pair, by_line: dict[tuple[str, str], Line], rank: dict[str, int]) -> Derived | None:
    """The pair from the first source by priority whose table has it or its inverse (``by_line``: each
    (currency, quote) line of the day, the first source's)."""
    line, inverse = by_line.get((pair.base, pair.quote)), by_line.get((pair.quote, pair.base))
    if line is None or (inverse is not None and rank[inverse[0]] < rank[line[0]]):
        line = inverse
    if line is None:
        return None
    source, currency, quote, nominal, value, digest = line
    rate = per_unit(value, nominal) if currency == pair.base else quotient(Decimal(nominal), value)
    return Derived(rate, shown_digits(value), source, digest, (source, currency, quote, nominal, value))


def _cross(pair: Pair, naming: dict[str, list[Line]], sources: tuple[str, ...]) -> Derived | None:
    """The pair through one currency both legs name, the legs' sources first by priority (``naming``: the
    day's lines naming each code)."""
    base = _legs(pair.base, naming.get(pair.base, []), sources)
    quote = _legs(pair.quote, naming.get(pair.quote, []), sources)
    options = [(b.priority, q.priority, via != USD, via, b, q)
               for via in base.keys() & quote.keys() - {pair.base, pair.quote}
               for b in base[via] for q in quote[via]]
    if not options:
        return None
    *_rank, b, q = min(options, key=lambda option: option[:4])
    # 1 base = b.n/b.d C and 1 quote = q.n/q.d C, so 1 base = (b.n × q.d) / (b.d × q.n) quote, exactly.
    rate = quotient(EXACT.multiply(b.numerator, q.denominator), EXACT.multiply(b.denominator, q.numerator))
    source = b.source if b.source == q.source else f"{b.source}+{q.source}"
    digest = None if None in (b.digest, q.digest) else "+".join(dict.fromkeys((b.digest, q.digest)))
    return Derived(rate, shown_digits(b.value, q.value), source, digest, (b.key, q.key))


def _served_cross(session: Session, pairs: list[Pair], days: list[date], provenance: bool,
                  found: dict[date, dict[Pair, Derived]]) -> None:
    """Fill what is still missing from the served values through USD (currency-api's where no bank's)."""
    rows = served_values(provenance)
    currencies = tuple(sorted({c for pair in pairs for c in pair.currencies}))
    for day, served in served_rows(session, rows, currencies, rows.c.date.in_(days)):
        for pair in (p for p in pairs if p not in found.get(day, {})):
            derived = derive_rate(pair, served)
            if derived is not None:
                rate, digits, source = derived
                digest = derive_digest(pair, served) if provenance else None
                key = ("served", *(served[c][:2] for c in pair.currencies))
                found.setdefault(day, {})[pair] = Derived(rate, digits, source, digest, key)
