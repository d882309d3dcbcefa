"""What an embed page shows: one country or ``all``, with the change marker that versions it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from feedsvc.articles.store import get_country
from feedsvc.changes import get_marker
from feedsvc.feeds.queries import ALL, feed_scope


@dataclass(frozen=True)
class HeadlinesScope:
    """A country (or every country) whose headlines an embed shows."""

    slug: str
    name: str
    filter: str | None  # the country slug for list_articles, None for every country
    revision: int
    changed_at: datetime | None


def headlines_scope(session: Session, name: str) -> HeadlinesScope | None:
    """The scope named by a slug, ISO code or ``all``, or None when there is no such country."""
    if name.lower() == ALL:
        slug, title, filter_slug = ALL, "Central Asia", None
    else:
        country = get_country(session, name)
        if country is None:
            return None
        slug, title, filter_slug = country.slug, country.name, country.slug
    marker = get_marker(session, feed_scope(slug))
    revision = marker.revision if marker else 0
    return HeadlinesScope(slug, title, filter_slug, revision, marker.changed_at if marker else None)
