"""Series rows as the formats serve them: each day with the date it changed from, or one row per period."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal

from feedsvc.rates.params import Pair
from feedsvc.rates.query import RateRow

EXACT = Context(prec=60)  # sums and means of 40-digit quotients, without rounding that shows
_HUNDREDTH = Decimal("0.01")


@dataclass(frozen=True)
class SeriesRow:
    """A served row: one observation (``group=day``) or one period of a pair.

    ``date`` is the observation's date or the period's first day; ``rate`` the observation or the
    period's mean; ``close`` the period's last observation; ``prev_date`` the date of the row that
    ``change_pct`` compares with (None when there is none).
    """

    date: date
    pair: Pair
    rate: Decimal
    digits: int
    change_pct: Decimal | None
    prev_date: date | None
    source: str
    close: Decimal | None = None
    count: int = 1


ServedRow = RateRow | SeriesRow  # what the formats render: an observation (group=day) or a period


def period_start(day: date, group: str) -> date:
    """The first day of ``day``'s period: the ISO week's Monday, the month's or the year's first day."""
    if group == "week":
        return day - timedelta(days=day.weekday())
    if group == "month":
        return day.replace(day=1)
    if group == "year":
        return day.replace(month=1, day=1)
    return day


@dataclass
class Period:
    """The rows of one pair in one period, being summed."""

    start: date
    total: Decimal = Decimal(0)
    count: int = 0
    digits: int = 0
    close: Decimal = Decimal(0)
    sources: dict[str, None] = field(default_factory=dict)  # in order of first appearance

    def add(self, rate: Decimal, digits: int, source: str) -> None:
        """Count one observation."""
        self.total = EXACT.add(self.total, rate)
        self.count += 1
        self.digits = max(self.digits, digits)
        self.close = rate
        self.sources[source] = None

    @property
    def mean(self) -> Decimal:
        """The arithmetic mean of the observations."""
        return EXACT.divide(self.total, self.count)


def group_rows(rows: Iterable[RateRow], pairs: tuple[Pair, ...], group: str) -> Iterator[SeriesRow]:
    """One row per period and pair, by period then pair order; rows come by date, so periods are runs."""
    open_periods: dict[Pair, Period] = {}
    previous: dict[Pair, tuple[date, Decimal]] = {}  # pair -> (its previous period, that period's mean)
    for row in rows:
        start = period_start(row.date, group)
        if open_periods and next(iter(open_periods.values())).start != start:
            yield from close_periods(open_periods, pairs, previous)
        open_periods.setdefault(row.pair, Period(start)).add(row.rate, row.digits, row.source)
    yield from close_periods(open_periods, pairs, previous)


def close_periods(open_periods: dict[Pair, Period], pairs: tuple[Pair, ...],
                  previous: dict[Pair, tuple[date, Decimal]]) -> Iterator[SeriesRow]:
    """The rows of the open periods in pair order, each compared with the pair's previous period; clears."""
    for pair in (p for p in pairs if p in open_periods):
        period = open_periods[pair]
        mean = period.mean
        before = previous.get(pair)
        change = None if before is None else _change_pct(mean, before[1])
        yield SeriesRow(period.start, pair, mean, period.digits, change, before and before[0],
                        ";".join(period.sources), period.close, period.count)
        previous[pair] = (period.start, mean)
    open_periods.clear()


def _change_pct(value: Decimal, previous: Decimal) -> Decimal:
    change = (EXACT.divide(value, previous) - 1) * 100
    return change.quantize(_HUNDREDTH, rounding=ROUND_HALF_EVEN) + 0  # + 0 turns -0.00 into 0.00
