"""Query-string parsers of the embed pages: each returns a frozen dataclass or raises BadRequestParams."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from feedsvc.errors import BadRequestParams
from feedsvc.feeds.params import TAG

THEMES = ("light", "dark", "auto")
MAX_LIMIT = 100
DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class HeadlinesQuery:
    """Options of the headlines iframe page and the builder."""

    limit: int = DEFAULT_LIMIT
    theme: str = "auto"
    tag: str | None = None


@dataclass(frozen=True)
class BuilderQuery:
    """The builder form: a country slug (or ``all``) plus the headline options."""

    country: str
    options: HeadlinesQuery


def _reject_unknown(args: Mapping[str, str], allowed: Iterable[str]) -> None:
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise BadRequestParams(
            f"unknown parameter {', '.join(unknown)}; allowed: {', '.join(allowed)}",
            {name: ["unknown parameter"] for name in unknown},
        )


def _parse_options(args: Mapping[str, str], errors: dict[str, list[str]]) -> HeadlinesQuery:
    limit_text = (args.get("limit") or str(DEFAULT_LIMIT)).strip()
    limit = int(limit_text) if limit_text.isascii() and limit_text.isdigit() else 0
    if not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = [f"must be a whole number from 1 to {MAX_LIMIT}"]
    theme = (args.get("theme") or "auto").strip().lower()
    if theme not in THEMES:
        errors["theme"] = [f"must be one of {', '.join(THEMES)}"]
    tag = (args.get("tag") or "").strip().lower() or None
    if tag is not None and (len(tag) > 64 or not TAG.fullmatch(tag)):
        errors["tag"] = ["must be a tag slug (a-z, 0-9, -)"]
    return HeadlinesQuery(limit=limit, theme=theme, tag=tag)


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        detail = "; ".join(f"{name}: {msgs[0]}" for name, msgs in errors.items())
        raise BadRequestParams(f"bad parameters ({detail})", errors)


def parse_headlines_query(args: Mapping[str, str]) -> HeadlinesQuery:
    """Parse ``?limit=&theme=&tag=`` of ``/embed/<country>``."""
    _reject_unknown(args, ("limit", "theme", "tag"))
    errors: dict[str, list[str]] = {}
    options = _parse_options(args, errors)
    _raise_if(errors)
    return options


def parse_theme(args: Mapping[str, str]) -> str:
    """The ``theme`` of the rates iframe page (its other parameters belong to the rates parser)."""
    errors: dict[str, list[str]] = {}
    theme = _parse_options({"theme": args.get("theme", "auto")}, errors).theme
    _raise_if(errors)
    return theme


def parse_builder_query(args: Mapping[str, str], countries: Iterable[str]) -> BuilderQuery:
    """Parse the builder form ``?country=&tag=&limit=&theme=``; ``countries`` are the allowed slugs."""
    _reject_unknown(args, ("country", "limit", "theme", "tag"))
    allowed = list(countries)
    errors: dict[str, list[str]] = {}
    country = (args.get("country") or allowed[0]).strip().lower()
    if country not in allowed:
        errors["country"] = [f"must be one of {', '.join(allowed)}"]
    options = _parse_options(args, errors)
    _raise_if(errors)
    return BuilderQuery(country=country, options=options)
