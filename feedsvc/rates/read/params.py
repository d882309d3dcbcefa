"""The query strings of the rate endpoints, one parser each, parsed into frozen dataclasses (or a 400)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cached_property

from feedsvc.core.errors import BadRequestParams
from feedsvc.core.params import QueryParams
from feedsvc.rates.constants import USD

DEFAULT_DAYS = 30
MAX_DAYS = 30 * 366  # 30 years: longer ranges are a typo, not an analysis
LAYOUTS = ("long", "wide")
GROUPS = ("day", "week", "month", "year")  # one row per observation, or per calendar period
MAX_PAGE_PAIRS = 8  # as many lines as one chart's palette tells apart
SERIES = ("from", "to", "pairs", "source", "group")
_PAIR = re.compile(r"([A-Za-z]{3})/([A-Za-z]{3})")


@dataclass(frozen=True)
class Pair:
    """1 ``base`` = rate ``quote``."""

    base: str
    quote: str

    def __str__(self) -> str:
        return f"{self.base}/{self.quote}"

    @cached_property  # read for every row of a series
    def currencies(self) -> tuple[str, ...]:
        """The stored currencies this pair needs (USD is never stored: it is 1)."""
        return tuple(c for c in (self.base, self.quote) if c != USD)


@dataclass(frozen=True)
class RateQuery:
    """A parsed rate request; None dates mean 'default' until ``resolve_range``."""

    pairs: tuple[Pair, ...]
    start: date | None = None
    end: date | None = None
    layout: str = "long"
    source: str | None = None
    group: str = "day"

    @property
    def currencies(self) -> tuple[str, ...]:
        """Every stored currency the pairs need, without repeats."""
        return tuple(dict.fromkeys(c for pair in self.pairs for c in pair.currencies))

    def cache_key(self) -> str:
        """A stable text of the query, for ETags."""
        pairs = ",".join(map(str, self.pairs))
        return f"{pairs}|{self.start}|{self.end}|{self.layout}|{self.source}|{self.group}"


def default_pairs(tracked: Iterable[str]) -> tuple[Pair, ...]:
    """Each tracked currency against USD, in configured order."""
    return tuple(Pair(currency, USD) for currency in tracked)


def parse_csv_query(args: Mapping[str, str], tracked: tuple[str, ...],
                    sources: tuple[str, ...]) -> RateQuery:
    """``/rates.csv``: ``from``, ``to``, ``pairs``, ``source``, ``group`` and ``layout``."""
    params = QueryParams(args, (*SERIES, "layout"))
    query = _read_series(params, tracked, sources, params.choice("layout", LAYOUTS, "long"))
    params.done()
    return query


def parse_json_query(args: Mapping[str, str], tracked: tuple[str, ...],
                     sources: tuple[str, ...]) -> RateQuery:
    """``/rates.json`` and ``/rates.ndjson``: ``from``, ``to``, ``pairs``, ``source`` and ``group``."""
    params = QueryParams(args, SERIES)
    query = _read_series(params, tracked, sources, "long")
    params.done()
    return query


def parse_latest_query(args: Mapping[str, str], tracked: tuple[str, ...],
                       sources: tuple[str, ...]) -> RateQuery:
    """``/rates/latest.json``: ``pairs`` and ``source``."""
    params = QueryParams(args, ("pairs", "source"))
    query = RateQuery(read_pairs(params, tracked), source=_read_source(params, sources))
    params.done()
    return query


def parse_chart_query(args: Mapping[str, str], tracked: tuple[str, ...]) -> RateQuery:
    """The ``/rates`` page: ``pairs`` (or the old ``pair``), ``from``, ``to``; others ignored (HTML)."""
    params = QueryParams(args, ("pairs", "pair", "from", "to"), unknown="ignore", blank="absent")
    if params.raw("pairs") is not None and params.raw("pair") is not None:
        params.error("pair", "give pairs or pair (the old name of pairs), not both")
    name = "pair" if params.raw("pairs") is None and params.raw("pair") is not None else "pairs"
    pairs = params.parsed(name, lambda value: _page_pairs(value, tracked), default_pairs(tracked)[:1])
    start, end = _read_range(params)
    params.done()
    return RateQuery(pairs, start, end)


def read_pairs(params: QueryParams, tracked: tuple[str, ...]) -> tuple[Pair, ...]:
    """The ``pairs`` parameter: a comma list of BASE/QUOTE (default: each tracked currency /USD)."""
    return params.parsed("pairs", lambda value: parse_pairs(value, tracked), default_pairs(tracked))


def parse_pairs(value: str | None, tracked: tuple[str, ...]) -> tuple[Pair, ...]:
    """A comma list of BASE/QUOTE, each from the tracked currencies and USD; repeats dropped."""
    if value is None:
        return default_pairs(tracked)
    allowed = (*tracked, USD)
    pairs: list[Pair] = []
    for item in (part.strip() for part in value.split(",")):
        match = _PAIR.fullmatch(item)
        if not match:
            raise ValueError(f"{item[:64]!r} is not a pair; expected BASE/QUOTE such as {tracked[0]}/USD")
        base, quote = match.group(1).upper(), match.group(2).upper()
        bad = [c for c in (base, quote) if c not in allowed]
        if bad:
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
                 layout: str) -> RateQuery:
    start, end = _read_range(params)
    group = params.choice("group", GROUPS, "day")
    return RateQuery(read_pairs(params, tracked), start, end, layout, _read_source(params, sources), group)


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


def _page_pairs(value: str | None, tracked: tuple[str, ...]) -> tuple[Pair, ...]:
    if value is None:  # the page opens on one pair; the endpoints' default is every tracked currency
        return default_pairs(tracked)[:1]
    pairs = parse_pairs(value, tracked)
    if len(pairs) > MAX_PAGE_PAIRS:
        raise ValueError(f"at most {MAX_PAGE_PAIRS} pairs on one chart")
    return pairs
