"""Query-string parsing for feeds: one parser, one frozen dataclass, 400 on anything unexpected."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from config import CountryConfig
from feedsvc.errors import BadRequestParams

FORMATS = ("rss", "atom", "json")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Tags are stored as lower-case slugs; anything else cannot exist (and NUL would upset PostgreSQL).
TAG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ALLOWED = ("limit", "tag")


@dataclass(frozen=True)
class FeedQuery:
    """What a feed request asks for: how many items and which tag (None: all)."""

    limit: int = DEFAULT_LIMIT
    tag: str | None = None


def parse_feed_query(args: Mapping[str, str]) -> FeedQuery:
    """Parse ``limit`` (1–100) and ``tag`` (a slug); raise BadRequestParams for anything else."""
    fields: dict[str, list[str]] = {}
    unknown = sorted(key for key in args if key not in ALLOWED)
    for key in unknown:
        fields[key[:64]] = [f"unknown parameter; allowed: {', '.join(ALLOWED)}"]
    limit = _parse_limit(args.get("limit"), fields)
    tag = args.get("tag")
    if tag is not None:
        tag = tag.lower()
        if len(tag) > 64 or not TAG.fullmatch(tag):
            fields["tag"] = ["must be a tag slug (a-z, 0-9 and -, at most 64 characters)"]
    if fields:
        raise BadRequestParams("bad query parameters; see fields", fields)
    return FeedQuery(limit=limit, tag=tag or None)


def _parse_limit(value: str | None, fields: dict[str, list[str]]) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if value.isascii() and value.isdigit() and len(value) <= 3 and 1 <= int(value) <= MAX_LIMIT:
        return int(value)
    fields["limit"] = [f"must be a whole number from 1 to {MAX_LIMIT}"]
    return DEFAULT_LIMIT


def find_country(countries: Sequence[CountryConfig], name: str) -> CountryConfig | None:
    """The configured country whose slug or ISO code is ``name`` (any case), or None."""
    key = name.lower()
    for country in countries:
        if key in (country.slug, country.code):
            return country
    return None
