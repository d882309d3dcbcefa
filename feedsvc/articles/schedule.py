"""Scheduled publishing in validators: a scope's marker moves when its next scheduled article goes live.

Change markers move on writes only, but a scheduled article appears without one. ``read_articles_marker``
returns the scope's marker with ``changed_at`` moved forward to the newest ``published_at`` that went live
since (after the article's own last write), so ETags, Last-Modified and a feed's ``updated`` change at that
moment. The two lookups behind it scan the (published_at, id) index from the marker's time to now and past
now; they run only after a write or once the next due time has passed: the answer is kept per process and
scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.articles.store import in_country, visible_at
from feedsvc.core.changes import Marker, read_marker
from feedsvc.core.countries import ALL, Scope, find_scope
from feedsvc.core.db import get_session
from feedsvc.core.http import make_etag
from feedsvc.core.models import Article
from feedsvc.core.urls import base_url


@dataclass(frozen=True)
class Schedule:
    """A scope's publication state at ``at``: the newest article gone live since its marker, the next due."""

    at: datetime
    latest_due: datetime | None
    next_due: datetime | None

    def holds_at(self, now: datetime) -> bool:
        """True when nothing went live between ``at`` and ``now``."""
        return self.at <= now and (self.next_due is None or now < self.next_due)


def read_schedule(session: Session, country: str | None, since: datetime, now: datetime) -> Schedule:
    """The publication state at ``now`` of one country (None: every country) whose marker says ``since``."""
    # Went live after its last write: that write bumped the marker before, not when it went live.
    due = (select(Article.published_at)
           .where(visible_at(now), Article.published_at > since, Article.published_at > Article.updated_at)
           .order_by(Article.published_at.desc()))
    ahead = select(Article.published_at).where(~visible_at(now)).order_by(Article.published_at)
    if country:
        due, ahead = due.where(in_country(country)), ahead.where(in_country(country))
    return Schedule(now, session.scalar(due.limit(1)), session.scalar(ahead.limit(1)))


def read_articles_marker(scope: Scope, now: datetime | None = None) -> Marker:
    """The scope's change marker, its time moved to when its newest scheduled article went live."""
    now = now or datetime.now(UTC)
    marker = read_marker(scope.marker)
    known = current_app.extensions.setdefault("feedsvc.schedules", {})
    revision, schedule = known.get(scope.marker, (None, None))
    if revision != marker.revision or schedule is None or not schedule.holds_at(now):
        country = scope.country.slug if scope.country else None
        schedule = read_schedule(get_session(), country, marker.changed_at, now)
        known[scope.marker] = (marker.revision, schedule)
    latest = schedule.latest_due
    if latest is None:
        return marker
    # Not rounded to whole seconds: a write in the same second must not hide the change from the ETag.
    return Marker(marker.scope, marker.revision, latest)


def article_validators(*parts: object, scope: Scope | None = None) -> tuple[str, Marker]:
    """The ETag of an answer built from ``scope``'s articles (every article's by default), and its marker.

    It names the marker as ``read_articles_marker`` moves it (a write, or a scheduled article going live),
    the base URL (answers carry absolute links) and ``parts``, what else the answer depends on.
    """
    marker = read_articles_marker(scope or find_scope(ALL))  # type: ignore[arg-type]
    etag = make_etag("articles", marker.scope, marker.revision, marker.changed_at.isoformat(), base_url(),
                     *parts)
    return etag, marker
