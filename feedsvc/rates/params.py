"""Parse the query strings of the rate endpoints into frozen dataclasses (or a 400)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import TypeVar

from feedsvc.errors import BadRequestParams

USD = "USD"
DEFAULT_DAYS = 30
MAX_DAYS = 30 * 366  # 30 years: longer ranges are a typo, not an analysis
LAYOUTS = ("long", "wide")
_PAIR = re.compile(r"^([A-Za-z]{3})/([A-Za-z]{3})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
T = TypeVar("T")


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
    """A parsed /rates.csv, /rates.json or /rates page request; None dates mean 'default'."""

    pairs: tuple[Pair, ...]
    start: date | None = None
    end: date | None = None
    layout: str = "long"
    source: str | None = None

    @property
    def currencies(self) -> tuple[str, ...]:
        """Every stored currency the pairs need, without repeats."""
        return tuple(dict.fromkeys(c for pair in self.pairs for c in pair.currencies))

    def cache_key(self) -> str:
        """A stable text of the query, for ETags."""
        pairs = ",".join(map(str, self.pairs))
        return f"{pairs}|{self.start}|{self.end}|{self.layout}|{self.source}"


def default_pairs(tracked: Iterable[str]) -> tuple[Pair, ...]:
    """Each tracked currency against USD, in configured order."""
    return tuple(Pair(currency, USD) for currency in tracked)


def parse_rate_query(
    args: Mapping[str, str],
    tracked: tuple[str, ...],
    sources: tuple[str, ...],
    allowed: tuple[str, ...] = ("from", "to", "pairs", "source"),
) -> RateQuery:
    """Parse and check ``args``; raise BadRequestParams listing what is allowed."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        errors["_unknown"] = [f"unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"]
    getlist = getattr(args, "getlist", None)  # a query string may repeat a name; say so, don't pick one
    repeated = sorted(name for name in args if getlist and len(getlist(name)) > 1)
    if repeated:
        errors["_repeated"] = [f"give {', '.join(repeated)} once (pairs takes a comma list)"]
    start = _collect(errors, "from", lambda: parse_date(args.get("from"), "from"))
    end = _collect(errors, "to", lambda: parse_date(args.get("to"), "to"))
    pairs = _collect(errors, "pairs", lambda: parse_pairs(args.get("pairs"), tracked))
    if "pair" in allowed:  # the HTML page charts one pair
        pairs = _collect(errors, "pair", lambda: parse_one_pair(args.get("pair"), tracked))
    layout = args.get("layout", "long") if "layout" in allowed else "long"
    if layout not in LAYOUTS:
        errors["layout"] = [f"unknown layout {layout!r}; allowed: {', '.join(LAYOUTS)}"]
    source = args.get("source")
    if source is not None and source not in sources:
        errors["source"] = [f"unknown source {source!r}; allowed: {', '.join(sources)}"]
    if start and end:
        _check_range(errors, start, end)
    if errors:
        raise BadRequestParams(_summary(errors), errors)
    return RateQuery(pairs=pairs, start=start, end=end, layout=layout, source=source)


def parse_date(value: str | None, name: str) -> date | None:
    """A YYYY-MM-DD calendar date, or None when absent."""
    if value is None:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a calendar date; expected YYYY-MM-DD") from None


def parse_pairs(value: str | None, tracked: tuple[str, ...]) -> tuple[Pair, ...]:
    """A comma list of BASE/QUOTE, each from the tracked currencies and USD; repeats dropped."""
    if value is None:
        return default_pairs(tracked)
    allowed = (*tracked, USD)
    pairs: list[Pair] = []
    for item in (part.strip() for part in value.split(",")):
        match = _PAIR.match(item)
        if not match:
            raise ValueError(f"{item!r} is not a pair; expected BASE/QUOTE such as {tracked[0]}/USD")
        base, quote = match.group(1).upper(), match.group(2).upper()
        bad = [c for c in (base, quote) if c not in allowed]
        if bad:
            raise ValueError(f"unknown currency {', '.join(bad)}; allowed: {', '.join(allowed)}")
        if base == quote:
            raise ValueError(f"{item!r} pairs a currency with itself")
        pairs.append(Pair(base, quote))
    return tuple(dict.fromkeys(pairs))


def parse_one_pair(value: str | None, tracked: tuple[str, ...]) -> tuple[Pair, ...]:
    """Exactly one BASE/QUOTE (default: the first tracked currency against USD)."""
    pairs = parse_pairs(value, tracked)
    if value is not None and len(pairs) != 1:
        raise ValueError("give one pair, such as KZT/USD")
    return pairs[:1]


def resolve_range(query: RateQuery, newest: date | None, today: date, days: int = DEFAULT_DAYS) -> RateQuery:
    """Fill in missing dates: ``days`` days up to the newest stored date (or today when none)."""
    if query.start and query.end:
        return query
    end = query.end or max(newest or today, query.start or date.min)
    start = query.start or end - timedelta(days=days - 1)
    return RateQuery(query.pairs, start, end, query.layout, query.source)


def _collect(errors: dict[str, list[str]], name: str, parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except ValueError as exc:
        errors[name] = [str(exc)]
        return None


def _check_range(errors: dict[str, list[str]], start: date, end: date) -> None:
    if start > end:
        errors["from"] = [f"from={start} is after to={end}"]
    elif (end - start).days >= MAX_DAYS:
        errors["to"] = [f"the range is longer than the maximum of {MAX_DAYS} days (30 years)"]


def _summary(errors: dict[str, list[str]]) -> str:
    return "; ".join(message for messages in errors.values() for message in messages)
