"""The query strings of the rate endpoints, one parser each, parsed into frozen dataclasses (or a 400)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property

from feedsvc.core.errors import BadRequestParams
from feedsvc.core.params import QueryParams
from feedsvc.rates.constants import USD
from feedsvc.rates.pair import Pair

DEFAULT_DAYS = 30
MAX_DAYS = 30 * 366  # 30 years: longer ranges are a typo, not an analysis
LAYOUTS = ("long", "wide")
GROUPS = ("day", "week", "month", "year")  # one row per observation, or per calendar period
MAX_PAGE_PAIRS = 8  # as many lines as one chart's palette tells apart
SERIES = ("from", "to", "pairs", "source", "group", "provenance")
FILLS = ("previous",)  # fill=previous: a row for every calendar day, carried from the last observation
AS_OF_DAYS = 14  # date=: the newest observation at most this many days before the day asked
Servable = Callable[[], Collection[str]]  # the codes a pair may name (read only when one is not tracked)
_PAIR = re.compile(r"([A-Za-z]{3})/([A-Za-z]{3})")


@dataclass(frozen=True)
class RateQuery:
    """A parsed rate request; None dates mean 'default' until ``resolve_range``."""

    pairs: tuple[Pair, ...]
    start: date | None = None
    end: date | None = None
    layout: str = "long"
    source: str | None = None
    group: str = "day"
    provenance: bool = False  # each row names the digest of the payload its value came from
    fill: str | None = None  # "previous": every calendar day, carried forward (``carried``)
    at: date | None = None  # date=: per pair the newest observation on or before this day

    @property
    def currencies(self) -> tuple[str, ...]:
        """Every stored currency the pairs need, without repeats."""
        return tuple(dict.fromkeys(c for pair in self.pairs for c in pair.currencies))

    def cache_key(self) -> str:
        """A stable text of the query, for ETags."""
        return self._key

    @cached_property  # asked for the ETag and again for the byte cache's key, on every warm answer
    def _key(self) -> str:
        pairs = ",".join(map(str, self.pairs))
        key = f"{pairs}|{self.start}|{self.end}|{self.layout}|{self.source}|{self.group}|{self.provenance}"
        # Only when given: the ETags of every query without them stay as they were.
        return key + (f"|fill={self.fill}" if self.fill else "") + (f"|date={self.at}" if self.at else "")


@functools.cache  # the same few pairs for every request of the default series (their hashes kept)
def default_pairs(tracked: tuple[str, ...]) -> tuple[Pair, ...]:
    """Each tracked currency against USD, in configured order."""
    return tuple(Pair(currency, USD) for currency in tracked)


def parse_csv_query(args: Mapping[str, str], tracked: tuple[str, ...], sources: tuple[str, ...],
                    servable: Servable | None = None) -> RateQuery:
    """``/rates.csv``: ``from``, ``to``, ``pairs``, ``source``, ``group``, ``fill`` and ``layout``."""
    params = QueryParams(args, (*SERIES, "layout", "fill"))
    query = _read_series(params, tracked, sources, params.choice("layout", LAYOUTS, "long"), servable)
    params.done()
    return query


def parse_json_query(args: Mapping[str, str], tracked: tuple[str, ...], sources: tuple[str, ...],
                     servable: Servable | None = None, *, as_of: bool = False) -> RateQuery:
    """``/rates.json`` and ``/rates.ndjson``: ``from``, ``to``, ``pairs``, ``source``, ``group``, ``fill``;
    ``date`` too on /rates.json (``as_of``)."""
    params = QueryParams(args, (*SERIES, "fill", "date") if as_of else (*SERIES, "fill"))
    query = _read_series(params, tracked, sources, "long", servable)
    if as_of:
        query = replace(query, at=_read_as_of(params, query))
    params.done()
    return query


def parse_latest_query(args: Mapping[str, str], tracked: tuple[str, ...], sources: tuple[str, ...],
                       servable: Servable | None = None) -> RateQuery:
    """``/rates/latest.json``: ``pairs``, ``source`` and ``date``."""
    params = QueryParams(args, ("pairs", "source", "date"))
    query = RateQuery(read_pairs(params, tracked, servable), source=_read_source(params, sources),
                      at=params.day("date"))
    params.done()
    return query


def _read_as_of(params: QueryParams, query: RateQuery) -> date | None:
    """``date=``: alone, it names the day; with a range or a series option it is a mistake."""
    at = params.day("date")
    if at is None:
        return None
    clashes = [name for name in ("from", "to", "group", "fill", "provenance") if params.raw(name) is not None]
    if clashes:
        params.error("date", f"date= answers one day per pair: give it without {', '.join(clashes)}")
    return at


def parse_chart_query(args: Mapping[str, str], tracked: tuple[str, ...],
                      servable: Servable | None = None) -> RateQuery:
    """The ``/rates`` page: ``pairs`` (or the old ``pair``), ``from``, ``to``; others ignored (HTML).

    ``servable``: as for ``read_pairs``, so the page shows any pair the series endpoints serve.
    """
    params = QueryParams(args, ("pairs", "pair", "from", "to"), unknown="ignore", blank="absent")
    if params.raw("pairs") is not None and params.raw("pair") is not None:
        params.error("pair", "give pairs or pair (the old name of pairs), not both")
    name = "pair" if params.raw("pairs") is None and params.raw("pair") is not None else "pairs"
    pairs = params.parsed(name, lambda value: _page_pairs(value, tracked, servable),
                          default_pairs(tracked)[:1])
    start, end = _read_range(params)
    params.done()
    return RateQuery(pairs, start, end)


def read_pairs(params: QueryParams, tracked: tuple[str, ...],
               servable: Servable | None = None) -> tuple[Pair, ...]:
    """The ``pairs`` parameter: a comma list of BASE/QUOTE (default: each tracked currency /USD).

    ``servable`` gives every code an enabled source stored; without it, the tracked currencies and USD.
    """
    return params.parsed("pairs", lambda value: parse_pairs(value, tracked, servable), default_pairs(tracked))


def parse_pairs(value: str | None, tracked: tuple[str, ...],
                servable: Servable | None = None) -> tuple[Pair, ...]:
    """A comma list of BASE/QUOTE of servable codes (default: tracked and USD); repeats dropped."""
    if value is None:
        return default_pairs(tracked)
    known = {*tracked, USD}
    pairs: list[Pair] = []
    for item in (part.strip() for part in value.split(",")):
        match = _PAIR.fullmatch(item)
        if not match:
            raise ValueError(f"{item[:64]!r} is not a pair; expected BASE/QUOTE such as {tracked[0]}/USD")
        base, quote = match.group(1).upper(), match.group(2).upper()
        bad = [c for c in (base, quote) if c not in known]
        if bad and servable is not None:  # the stored codes are read only for a code not tracked
            known |= set(servable())
            bad = [c for c in bad if c not in known]
        if bad:
            allowed = [*tracked, USD, *sorted(known - {*tracked, USD})]
            raise ValueError(f"unknown currency {', '.join(bad)}; allowed: {', '.join(allowed)}")
        if base == quote:
            raise ValueError(f"{item!r} pairs a currency with itself")
        pairs.append(Pair(base, quote))
    return tuple(dict.fromkeys(pairs))


def resolve_range(query: RateQuery, newest: date | None, today: date, days: int = DEFAULT_DAYS) -> RateQuery:
    """Fill in missing dates: ``days`` days up to the newest stored date (or today when none).

    An open range is capped like a closed one: ``from=1900-01-01`` alone would span the whole history.
    """
    if query.start and query.end:
        return query
    end = query.end or max(newest or today, query.start or date.min)
    start = query.start or end - timedelta(days=days - 1)
    if too_long(start, end):
        raise BadRequestParams(f"from={start} to {end}: {too_long(start, end)}; give both from and to",
                               {"from": [too_long(start, end)]})
    return replace(query, start=start, end=end)


def too_long(start: date, end: date) -> str:
    """Why the range from ``start`` to ``end`` is too long, or "" when it is not."""
    if (end - start).days >= MAX_DAYS:
        return f"a range spans at most {MAX_DAYS} days (30 years)"
    return ""


def _read_series(params: QueryParams, tracked: tuple[str, ...], sources: tuple[str, ...],
                 layout: str, servable: Servable | None) -> RateQuery:
    start, end = _read_range(params)
    group = params.choice("group", GROUPS, "day")
    provenance = params.choice("provenance", ("0", "1"), "0") == "1"
    if provenance and (group != "day" or layout != "long"):
        # A period mixes days, a wide row mixes pairs: neither has one payload per row.
        params.error("provenance", "provenance=1 goes with group=day and layout=long: one payload per row")
    fill = params.choice("fill", FILLS, "") or None
    if fill and group != "day":  # a period's mean of carried days would count one value many times
        params.error("fill", "fill=previous goes with group=day: a carried day is no observation to average")
    return RateQuery(read_pairs(params, tracked, servable), start, end, layout, _read_source(params, sources),
                     group, provenance, fill)


def _read_range(params: QueryParams) -> tuple[date | None, date | None]:
    start, end = params.day("from"), params.day("to")
    if start and end and start > end:
        params.error("from", f"from={start} is after to={end}")
    elif start and end and too_long(start, end):
        params.error("to", too_long(start, end))
    return start, end


def _read_source(params: QueryParams, sources: tuple[str, ...]) -> str | None:
    source = params.raw("source")
    if source is not None and source not in sources:
        params.error("source", f"unknown source {source[:64]!r}; allowed: {', '.join(sources)}")
        return None
    return source


def _page_pairs(value: str | None, tracked: tuple[str, ...], servable: Servable | None) -> tuple[Pair, ...]:
    if value is None:  # the page opens on one pair; the endpoints' default is every tracked currency
        return default_pairs(tracked)[:1]
    pairs = parse_pairs(value, tracked, servable)
    if len(pairs) > MAX_PAGE_PAIRS:
        raise ValueError(f"at most {MAX_PAGE_PAIRS} pairs on one chart")
    return pairs
