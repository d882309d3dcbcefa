"""Query strings of the HTML pages: ``page``, ``per_page``, ``q`` and ``country``.

Unknown parameters are ignored here (unlike the feeds and the API): shared links often carry
``utm_*`` and similar, and a reader following one should still see the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from feedsvc.core.countries import find_country, tracked
from feedsvc.core.params import QueryParams

PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # beyond this the OFFSET itself becomes the problem
MAX_QUERY = 200
LISTING = ("page", "per_page")


@dataclass(frozen=True)
class ListingQuery:
    """A page of a listing: which page and how many per page."""

    page: int = 1
    per_page: int = PER_PAGE

    def params(self) -> dict[str, int | None]:
        """The query string of this listing, defaults left out."""
        return {"page": self.page if self.page != 1 else None,
                "per_page": self.per_page if self.per_page != PER_PAGE else None}


@dataclass(frozen=True)
class SearchQuery:
    """A search: words, an optional country slug, and the page."""

    q: str
    country: str | None
    listing: ListingQuery


def _page_params(args: Mapping[str, str], allowed: tuple[str, ...]) -> QueryParams:
    return QueryParams(args, allowed, unknown="ignore", blank="absent")


def _read_listing(params: QueryParams) -> ListingQuery:
    return ListingQuery(params.whole("page", 1, 1, MAX_PAGE),
                        params.whole("per_page", PER_PAGE, 1, MAX_PER_PAGE))


def parse_listing_query(args: Mapping[str, str]) -> ListingQuery:
    """Parse ``page`` and ``per_page``; raise BadRequestParams when either is not a sane number."""
    return _page_params(args, LISTING).read_all(_read_listing)


def parse_search_query(args: Mapping[str, str]) -> SearchQuery:
    """Parse ``q`` (≤ 200 characters, no control characters), ``country`` and the paging."""
    params = _page_params(args, ("q", "country", *LISTING))
    listing = _read_listing(params)
    q = params.text("q", MAX_QUERY)
    name = params.raw("country")
    country = find_country(name) if name else None
    if name and country is None:
        params.error("country", "allowed: " + ", ".join(c.slug for c in tracked()))
    params.done()
    return SearchQuery(q, country.slug if country else None, listing)
