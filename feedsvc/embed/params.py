"""Query-string parsers of the embed pages: each returns a frozen dataclass or raises BadRequestParams."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feedsvc.core.countries import ALL, tracked, tracked_currencies
from feedsvc.core.params import QueryParams
from feedsvc.rates import Pair, default_pairs, parse_chart_query, read_pairs, servable_currencies

THEMES = ("light", "dark", "auto")
MAX_LIMIT = 100
DEFAULT_LIMIT = 5
OPTIONS = ("limit", "theme", "tag")
# How a chosen ticker reads: 1 foreign unit in local money (USD/KZT = 441.23, as locals read it), or
# 1 local unit in foreign money (KZT/USD = 0.00226637, as the default ticker shows the five).
ORIENTATIONS = ("foreign-first", "local-first")


@dataclass(frozen=True)
class HeadlinesQuery:
    """Options of the headlines iframe page and the builder."""

    limit: int = DEFAULT_LIMIT
    theme: str = "auto"
    tag: str | None = None

    def params(self) -> dict[str, Any]:
        """The query string of these options, defaults left out."""
        return {"limit": self.limit if self.limit != DEFAULT_LIMIT else None,
                "theme": self.theme if self.theme != "auto" else None, "tag": self.tag}


@dataclass(frozen=True)
class TickerChoice:
    """The builder's ticker: None for the default one, else a country's slug (its currency's common pairs)
    or ``all`` (each tracked currency against USD), read in ``orientation``."""

    country: str | None = None
    orientation: str = ORIENTATIONS[0]


@dataclass(frozen=True)
class BuilderQuery:
    """The builder form: a country slug (or ``all``) plus the headline options, and the ticker's choice."""

    country: str
    options: HeadlinesQuery
    ticker: TickerChoice = TickerChoice()


@dataclass(frozen=True)
class TickerQuery:
    """The rates iframe page: which pairs, in which theme."""

    pairs: tuple[Pair, ...]
    theme: str


def _embed_params(args: Mapping[str, str], allowed: tuple[str, ...]) -> QueryParams:
    # The builder is an HTML form: it submits its empty fields, which mean "the default".
    return QueryParams(args, allowed, blank="absent")


def _read_options(params: QueryParams) -> HeadlinesQuery:
    return HeadlinesQuery(limit=params.whole("limit", DEFAULT_LIMIT, 1, MAX_LIMIT),
                          theme=params.choice("theme", THEMES, "auto"), tag=params.tag())


def parse_headlines_query(args: Mapping[str, str]) -> HeadlinesQuery:
    """Parse ``?limit=&theme=&tag=`` of ``/embed/<country>``."""
    return _embed_params(args, OPTIONS).read_all(_read_options)


def parse_ticker_query(args: Mapping[str, str]) -> TickerQuery:
    """Parse ``?pairs=&theme=`` of ``/embed/rates``."""
    def read(params: QueryParams) -> TickerQuery:
        pairs = read_pairs(params, tracked_currencies(), servable_currencies)  # any pair the rates API serves
        return TickerQuery(pairs, params.choice("theme", THEMES, "auto"))

    return _embed_params(args, ("pairs", "theme")).read_all(read)


def parse_page_ticker_query(args: Mapping[str, str]) -> TickerQuery:
    """The ticker a ``/rates`` page URL embeds as: the pairs the page names (its other parameters are
    the page's own), else the default ticker."""
    # The page's own parser: a bad pair is a 400, as on the page.
    pairs = parse_chart_query(args, tracked_currencies(), servable_currencies).pairs
    named = any((args.get(name) or "").strip() for name in ("pairs", "pair"))
    return TickerQuery(pairs if named else default_pairs(tracked_currencies()), "auto")


def parse_builder_query(args: Mapping[str, str]) -> BuilderQuery:
    """Parse the builder form ``?country=&tag=&limit=&theme=&ticker=&orientation=``: ``country`` and
    ``ticker`` a tracked country's slug or ``all`` (``ticker`` absent: the default ticker)."""
    params = _embed_params(args, ("country", *OPTIONS, "ticker", "orientation"))
    allowed = [c.slug for c in tracked()] + [ALL]
    country = params.choice("country", allowed, allowed[0])
    options = _read_options(params)
    ticker = TickerChoice(params.choice("ticker", allowed, "") or None,
                          params.choice("orientation", ORIENTATIONS, ORIENTATIONS[0]))
    params.done()
    return BuilderQuery(country=country, options=options, ticker=ticker)


def parse_card_query(args: Mapping[str, str]) -> str:
    """Parse ``?theme=`` of ``/embed/articles/<id>``; return the theme."""
    return _embed_params(args, ("theme",)).read_all(lambda params: params.choice("theme", THEMES, "auto"))
