"""Feed queries: the change marker of a feed's scope, and its newest articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.articles.store import filter_articles, newest_first
from feedsvc.changes import country_scope, get_marker
from feedsvc.models import Article

ALL = "all"
# Used only if a scope has no marker row (seeding creates them): a fixed time keeps bytes stable.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class FeedState:
    """Revision and time of the last change in a feed's scope: what ETag and Last-Modified derive from."""

    scope: str
    revision: int
    changed_at: datetime


def feed_scope(country: str) -> str:
    """The change-marker scope of a country slug's feed, or of ``all``."""
    return "articles" if country == ALL else country_scope(country)


def get_feed_state(session: Session, country: str) -> FeedState:
    """The feed's change state, in one primary-key lookup."""
    scope = feed_scope(country)
    marker = get_marker(session, scope)
    if marker is None:
        return FeedState(scope, 0, EPOCH)
    return FeedState(scope, marker.revision, marker.changed_at.replace(microsecond=0))


def select_feed_articles(session: Session, country: str, tag: str | None, limit: int) -> list[Article]:
    """The newest ``limit`` articles of a country slug (or ``all``), optionally with a tag."""
    stmt = filter_articles(select(Article), None if country == ALL else country, tag)
    return list(session.scalars(newest_first(stmt).limit(limit)))
