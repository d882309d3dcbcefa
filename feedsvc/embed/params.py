"""Query-string parsers of the embed pages: each returns a frozen dataclass or raises BadRequestParams."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feedsvc.core.countries import ALL, tracked, tracked_currencies
from feedsvc.core.params import QueryParams
from feedsvc.rates import Pair, read_pairs

THEMES = ("light", "dark", "auto")
MAX_LIMIT = 100
DEFAULT_LIMIT = 5
OPTIONS = ("limit", "theme", "tag")


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
class BuilderQuery:
    """The builder form: a country slug (or ``all``) plus the headline options."""

    country: str
    options: HeadlinesQuery


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
        return TickerQuery(read_pairs(params, tracked_currencies()), params.choice("theme", THEMES, "auto"))

    return _embed_params(args, ("pairs", "theme")).read_all(read)


def parse_builder_query(args: Mapping[str, str]) -> BuilderQuery:
    """Parse the builder form ``?country=&tag=&limit=&theme=``: a tracked country's slug or ``all``."""
    params = _embed_params(args, ("country", *OPTIONS))
    allowed = [c.slug for c in tracked()] + [ALL]
    country = params.choice("country", allowed, allowed[0])
    options = _read_options(params)
    params.done()
    return BuilderQuery(country=country, options=options)


def parse_card_query(args: Mapping[str, str]) -> str:
    """Parse ``?theme=`` of ``/embed/articles/<id>``; return the theme."""
    return _embed_params(args, ("theme",)).read_all(lambda params: params.choice("theme", THEMES, "auto"))
