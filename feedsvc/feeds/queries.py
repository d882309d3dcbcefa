"""Feed queries: the change marker of a feed's scope, and its newest articles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from feedsvc.articles.store import filter_articles, newest_first
from feedsvc.changes import country_scope
from feedsvc.models import Article, ChangeMarker

ALL = "all"
# Used only if a scope has no marker row (seeding creates them): a fixed time keeps bytes stable.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
# Built once: constructing the statement per request costs more than running it.
_MARKER = select(ChangeMarker.revision, ChangeMarker.changed_at).where(
    ChangeMarker.scope == bindparam("scope")
)


@dataclass(frozen=True)
class FeedState:
    """Revision and time of the last change in a feed's scope: what ETag and Last-Modified derive from."""

    scope: str
    revision: int
    changed_at: datetime


def feed_scope(country: str) -> str:
    """The change-marker scope of a country slug's feed, or of ``all``."""
    return "articles" if country == ALL else country_scope(country)


def get_feed_state(connection: Connection, country: str) -> FeedState:
    """The feed's change state, in one primary-key lookup."""
    # A Core query on a bare connection, not Session.get(): this runs on every feed request (most end
    # in a 304 or a cache hit) and the ORM's identity map and session setup cost three times the query.
    scope = feed_scope(country)
    row = connection.execute(_MARKER, {"scope": scope}).first()
    if row is None:
        return FeedState(scope, 0, EPOCH)
    return FeedState(scope, row.revision, row.changed_at.replace(microsecond=0))


def select_feed_articles(session: Session, country: str, tag: str | None, limit: int) -> list[Article]:
    """The newest ``limit`` articles of a country slug (or ``all``), optionally with a tag."""
    stmt = filter_articles(select(Article), None if country == ALL else country, tag)
    return list(session.scalars(newest_first(stmt).limit(limit)))
