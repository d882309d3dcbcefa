"""Rows of every calendar day (fill=previous) and the rate in force on a day (date=)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from operator import attrgetter

from feedsvc.rates.read.params import AS_OF_DAYS, Pair
from feedsvc.rates.read.series import RateRow


def fill_previous(rows: Iterable[RateRow], pairs: tuple[Pair, ...], start: date,
                  end: date) -> Iterator[RateRow]:
    """A row per calendar day of [start, end] and pair: the day's observation, else the last one carried
    (``carried``; no change) when it is at most AS_OF_DAYS old. ``rows`` may begin before ``start``."""
    last: dict[Pair, RateRow] = {}
    day = start

    def carried_until(limit: date) -> Iterator[RateRow]:
        nonlocal day
        while day < limit and day <= end:
            yield from (_carry(last[pair], day) for pair in pairs if _carries(last.get(pair), day))
            day += timedelta(days=1)

    for observed, same_day in itertools.groupby(rows, key=attrgetter("date")):
        yield from carried_until(observed)
        found = {row.pair: row for row in same_day}
        last.update(found)
        if start <= observed <= end:
            yield from (found[pair] if pair in found else _carry(last[pair], observed)
                        for pair in pairs if pair in found or _carries(last.get(pair), observed))
            day = observed + timedelta(days=1)
    yield from carried_until(end + timedelta(days=1))


def _carries(row: RateRow | None, day: date) -> bool:
    return row is not None and (day - row.date).days <= AS_OF_DAYS


def _carry(row: RateRow, day: date) -> RateRow:
    """``row``'s value on a later ``day`` without an observation of its own."""
    return row._replace(date=day, change_pct=None, prev_date=None, repeated=False, carried=True)


def newest_by_pair(rows: Iterable[RateRow], pairs: tuple[Pair, ...]) -> list[tuple[Pair, RateRow | None]]:
    """Each pair with its last row in ``rows`` (rows by date), or None."""
    last: dict[Pair, RateRow] = {}
    for row in rows:
        last[row.pair] = row
    return [(pair, last.get(pair)) for pair in pairs]
