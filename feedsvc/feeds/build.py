"""Assemble a feed: its description, ETag and bytes, from the change marker and the articles."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import current_app
from sqlalchemy.orm import Session

from feedsvc.articles import newest_articles
from feedsvc.core.changes import Marker
from feedsvc.core.countries import Scope
from feedsvc.core.http import make_etag
from feedsvc.core.site import site_identity
from feedsvc.core.urls import article_page_url, base_url, external_url
from feedsvc.feeds.entries import make_entry
from feedsvc.feeds.jsonfeed import render_json_feed
from feedsvc.feeds.params import FeedQuery
from feedsvc.feeds.render import FeedInfo, render_atom, render_rss

RENDERERS: dict[str, Callable[..., bytes]] = {
    "rss": render_rss, "atom": render_atom, "json": render_json_feed,
}


def feed_etag(marker: Marker, fmt: str, query: FeedQuery) -> str:
    """The ETag of a feed: its scope's revision and time, the format, parameters and base URL."""
    return make_etag("feed", marker.scope, marker.revision, marker.changed_at.isoformat(), fmt,
                     query.limit, query.tag, base_url(), current_app.config.get("WEBSUB_HUB"))


def feed_info(scope: Scope, fmt: str, query: FeedQuery, marker: Marker) -> FeedInfo:
    """Title, ids and links of one feed."""
    about = f"{scope.name}, tagged {query.tag}" if query.tag else scope.name
    if scope.country is None:
        home = external_url("web.show_home")
    else:
        home = external_url("web.show_country", country=scope.slug)
    # A host-independent id: readers keep their subscription state if the host is renamed.
    feed_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"feedsvc:feed:{scope.slug}:{query.tag or ''}")
    params = {name: value for name, value in query.params().items() if value is not None}
    site = site_identity()
    return FeedInfo(
        feed_id=f"urn:uuid:{feed_uuid}",
        title=f"{about} · {site.name}",
        description=f"The latest news from {about}, by {site.publisher}.",
        self_url=external_url("feeds.get_feed", country=scope.slug, fmt=fmt, **params),
        home_url=home,
        updated=marker.changed_at,
        language=site.language,
        author=site.publisher,
        hub_url=current_app.config.get("WEBSUB_HUB"),
        # The site's own images (web/static), served by the app under the feed's base URL.
        icon_url=external_url("web.static", filename="icon-512.png"),
        favicon_url=external_url("web.static", filename="favicon-64.png"),
        logo_url=external_url("web.static", filename="logo-144x72.png"),
    )


def build_feed(session: Session, scope: Scope, fmt: str, query: FeedQuery, marker: Marker) -> bytes:
    """Query the feed's articles and render them in ``fmt``."""
    country = scope.country.slug if scope.country else None
    articles = newest_articles(session, country, query.tag, query.limit)
    entries = [make_entry(article, article_page_url) for article in articles]
    return RENDERERS[fmt](feed_info(scope, fmt, query, marker), entries)
