"""Assemble a feed: its description, ETag and cached bytes, from the change marker and the articles."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

from flask import current_app, request
from sqlalchemy.orm import Session

from feedsvc.db import get_engine
from feedsvc.feeds.jsonfeed import render_json_feed
from feedsvc.feeds.params import FeedQuery
from feedsvc.feeds.queries import ALL, FeedState, MarkerReader, select_feed_articles
from feedsvc.feeds.render import FeedInfo, render_atom, render_rss
from feedsvc.http import make_etag
from feedsvc.web.urls import article_page_url, external_url

CONTENT_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
RENDERERS: dict[str, Callable[..., bytes]] = {
    "rss": render_rss, "atom": render_atom, "json": render_json_feed,
}
SITE = "feedsvc"
# Part of every feed's ETag and cache key: bump it when a change to the code changes the feeds' bytes.
RENDER_VERSION = 1


def marker_reader() -> MarkerReader:
    """The app's marker reader (created on first use, then shared by every request)."""
    reader = current_app.extensions.get("feedsvc.feeds.markers")
    if reader is None:
        ttl = current_app.config["FEED_MARKER_TTL"]
        reader = current_app.extensions["feedsvc.feeds.markers"] = MarkerReader(get_engine(), ttl)
    return reader


def base_url() -> str:
    """The absolute base every URL in a feed starts with (part of the ETag and the cache key)."""
    return current_app.config.get("PUBLIC_URL") or f"{request.scheme}://{request.host}/"


def feed_etag(state: FeedState, fmt: str, query: FeedQuery) -> str:
    """The ETag of a feed: its scope's revision and time, the format, parameters and base URL."""
    return _feed_etag(state, fmt, query, base_url())


@functools.lru_cache(maxsize=4096)  # hot feeds are asked again and again with the same state
def _feed_etag(state: FeedState, fmt: str, query: FeedQuery, base: str) -> str:
    return make_etag("feed", RENDER_VERSION, state.scope, state.revision, state.changed_at.isoformat(), fmt,
                     query.limit, query.tag, base)


def feed_info(country: str, name: str, fmt: str, query: FeedQuery, state: FeedState) -> FeedInfo:
    """Title, ids and links of one feed; ``name`` is the country's name or "Central Asia"."""
    params: dict[str, Any] = {}
    if query.limit != FeedQuery.limit:
        params["limit"] = query.limit
    if query.tag:
        params["tag"] = query.tag
    about = f"{name}, tagged {query.tag}" if query.tag else name
    if country == ALL:
        home = external_url("web.show_home")
    else:
        home = external_url("web.show_country", country=country)
    # A host-independent id: readers keep their subscription state if the host is renamed.
    feed_uuid = uuid.uuid5(uuid.NAMESPACE_URL, f"feedsvc:feed:{country}:{query.tag or ''}")
    return FeedInfo(
        feed_id=f"urn:uuid:{feed_uuid}",
        title=f"{about} · {SITE}",
        description=f"The latest news from {about}, by the {SITE} Central Asia news desk.",
        self_url=external_url("feeds.get_feed", country=country, fmt=fmt, **params),
        home_url=home,
        updated=state.changed_at,
    )


def build_feed(session: Session, country: str, name: str, fmt: str, query: FeedQuery,
               state: FeedState) -> bytes:
    """Query the feed's articles and render them in ``fmt``."""
    articles = select_feed_articles(session, country, query.tag, query.limit)
    info = feed_info(country, name, fmt, query, state)
    return RENDERERS[fmt](info, articles, article_page_url)
