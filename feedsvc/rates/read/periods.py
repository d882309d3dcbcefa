"""Series rows as the formats serve them: each day with the date it changed from, or one row per period."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from feedsvc.rates.exact import EXACT, Period, change_pct, period_start
from feedsvc.rates.read.params import Pair
from feedsvc.rates.read.series import RateRow


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
PreviousPeriods = dict[Pair, tuple[date, Decimal]]  # pair -> (its previous period, that period's mean)


def group_rows(rows: Iterable[RateRow], pairs: tuple[Pair, ...], group: str) -> Iterator[SeriesRow]:
    """One row per period and pair, by period then pair order; rows come by date, so periods are runs."""
    open_periods: dict[Pair, Period] = {}
    previous: PreviousPeriods = {}
    for row in rows:
        if row.repeated:  # a weekend's repeat of Friday's table is no new observation to average
            continue
        start = period_start(row.date, group)
        if open_periods and next(iter(open_periods.values())).start != start:
            yield from close_periods(open_periods, pairs, previous)
        open_periods.setdefault(row.pair, Period(start)).add(row.rate, row.digits, row.source)
    yield from close_periods(open_periods, pairs, previous)


def close_periods(open_periods: dict[Pair, Period], pairs: tuple[Pair, ...],
                  previous: PreviousPeriods) -> Iterator[SeriesRow]:
    """The rows of the open periods in pair order, each compared with the pair's previous period; clears."""
    for pair in (p for p in pairs if p in open_periods):
        period = open_periods[pair]
        mean = period.mean
        before = previous.get(pair)
        change = None if before is None else change_pct(mean, before[1], EXACT)
        yield SeriesRow(period.start, pair, mean, period.digits, change, before and before[0],
                        ";".join(period.sources), period.close, period.count)
        previous[pair] = (period.start, mean)
    open_periods.clear()
