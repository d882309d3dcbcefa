"""Each resolved row's change: against the pair's last new observation, a weekend repeat keeping it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from feedsvc.rates.exact import Previous, compare, repeats
from feedsvc.rates.pair import Pair
from feedsvc.rates.served.pairs import Derived


class Last(NamedTuple):
    """A pair's last row: what it published, its day, and its change and previous date."""

    key: tuple | str
    day: date
    change: Decimal | None
    prev_date: date | None


class Numbered(NamedTuple):
    """A resolved row with its change: ``repeated`` when it repeats the day before's table."""

    day: date
    pair: Pair
    found: Derived
    change: Decimal | None
    prev_date: date | None
    repeated: bool


def number_rows(days: Iterable[tuple[date, dict[Pair, Derived]]], pairs: tuple[Pair, ...],
                previous: dict[Pair, Previous], last: dict[Pair, Last]) -> Iterator[Numbered]:
    """Each resolved row of ``pairs`` by date then pair order, with its change and previous date.

    ``previous``: each pair's last new observation (rate, date); ``last``: its last row. Both are
    updated as rows go. A weekend row publishing exactly what the day before published (a bank repeating
    Friday's table) is ``repeated``: it keeps that row's change and previous date, and the next new row
    compares with the last new observation.
    """
    for day, derived in days:
        for pair in pairs:
            found = derived.get(pair)
            if found is None:
                continue
            before = last.get(pair)
            repeated = before is not None and repeats(day, before.day, before.key == found.key)
            if repeated:
                change, prev_date = before.change, before.prev_date  # type: ignore[union-attr]
            else:
                change, prev_date = compare(found.rate, day, previous.get(pair))
                previous[pair] = (found.rate, day)
            last[pair] = Last(found.key, day, change, prev_date)
            yield Numbered(day, pair, found, change, prev_date, repeated)
