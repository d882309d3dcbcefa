"""The feed query string: ``limit`` and ``tag``; anything else is a 400."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from feedsvc.core.params import QueryParams

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class FeedQuery:
    """What a feed request asks for: how many items and which tag (None: all)."""

    limit: int = DEFAULT_LIMIT
    tag: str | None = None

    def params(self) -> dict[str, Any]:
        """The query string that asks for this feed (defaults left out)."""
        return {"limit": self.limit if self.limit != DEFAULT_LIMIT else None, "tag": self.tag}


def parse_feed_query(args: Mapping[str, str]) -> FeedQuery:
    """Parse ``limit`` (1–100) and ``tag`` (a slug); raise BadRequestParams for anything else."""
    if not args:  # how feed readers poll: most requests of the service, most of them 304s
        return FeedQuery()
    params = QueryParams(args, ("limit", "tag"))
    query = FeedQuery(limit=params.whole("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), tag=params.tag())
    params.done()
    return query
