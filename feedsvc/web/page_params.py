"""Query-string parsing for the HTML pages: ``page``, ``per_page``, ``q`` and ``country``.

Unknown parameters are ignored here (unlike the feeds and the API): shared links often carry
``utm_*`` and similar, and a reader following one should still see the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from config import CountryConfig
from feedsvc.errors import BadRequestParams
from feedsvc.feeds.params import find_country

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # beyond this the OFFSET itself becomes the problem
MAX_QUERY = 200
# Control characters (NUL above all: PostgreSQL refuses it in text) can't match any stored text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ListingQuery:
    """A page of a listing: which page and how many per page."""

    page: int = 1
    per_page: int = PER_PAGE


@dataclass(frozen=True)
class SearchQuery:
    """A search: words, an optional country slug, and the page."""

    q: str
    country: str | None
    listing: ListingQuery


def _whole_number(args: Mapping[str, str], name: str, default: int, top: int,
                  fields: dict[str, list[str]]) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    value = value.strip()
    if value.isascii() and value.isdigit() and len(value) <= 7 and 1 <= int(value) <= top:
        return int(value)
    fields[name] = [f"must be a whole number from 1 to {top}"]
    return default


def _listing(args: Mapping[str, str], fields: dict[str, list[str]]) -> ListingQuery:
    page = _whole_number(args, "page", 1, MAX_PAGE, fields)
    per_page = _whole_number(args, "per_page", PER_PAGE, MAX_PER_PAGE, fields)
    return ListingQuery(page, per_page)


def parse_listing_query(args: Mapping[str, str]) -> ListingQuery:
    """Parse ``page`` and ``per_page``; raise BadRequestParams when either is not a sane number."""
    fields: dict[str, list[str]] = {}
    listing = _listing(args, fields)
    if fields:
        raise BadRequestParams("bad query parameters: " + _describe(fields), fields)
    return listing


def parse_search_query(args: Mapping[str, str], countries: Sequence[CountryConfig]) -> SearchQuery:
    """Parse ``q`` (≤ 200 characters, no control characters), ``country`` and the paging."""
    fields: dict[str, list[str]] = {}
    listing = _listing(args, fields)
    q = " ".join(args.get("q", "").split())
    if len(q) > MAX_QUERY:
        fields["q"] = [f"at most {MAX_QUERY} characters"]
    elif _CONTROL.search(q):
        fields["q"] = ["must not contain control characters"]
    name = args.get("country", "")
    country = find_country(countries, name) if name else None
    if name and country is None:
        fields["country"] = ["allowed: " + ", ".join(c.slug for c in countries)]
    if fields:
        raise BadRequestParams("bad query parameters: " + _describe(fields), fields)
    return SearchQuery(q, country.slug if country else None, listing)


def _describe(fields: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(messages)}" for name, messages in fields.items())
