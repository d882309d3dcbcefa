"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1), built as a dict and serialised once."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feedsvc.articles import split_author
from feedsvc.feeds.entries import Entry
from feedsvc.feeds.render import FeedInfo

VERSION = "https://jsonfeed.org/version/1.1"


def _rfc3339(value: datetime, *, exact: bool = False) -> str:
    # Exact: an edit time to the microsecond, as in Atom's <updated>; published times are whole seconds.
    return (value if exact else value.replace(microsecond=0)).isoformat().replace("+00:00", "Z")


def json_feed_item(entry: Entry) -> dict[str, Any]:
    """One item; the embed widget reads these names, so keep them stable."""
    article = entry.article
    item: dict[str, Any] = {
        "id": f"urn:uuid:{article.uuid}",
        "url": entry.url,
        "title": article.title,
        "summary": article.summary,
        "content_html": entry.content_html,
        "date_published": _rfc3339(article.published_at),
        "date_modified": _rfc3339(article.updated_at, exact=True),
        "tags": [c.slug for c in article.countries] + [t.slug for t in article.tags],  # the Atom/RSS terms
        "language": article.language,
    }
    if article.source_url:
        item["external_url"] = article.source_url
    if author := split_author(article.author):
        item["authors"] = [{"name": author.name}]  # JSON Feed authors have no e-mail field
    if entry.image:
        item["image"] = entry.image.url
    return item


def _hubs_and_icons(info: FeedInfo) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if info.icon_url:
        extra["icon"] = info.icon_url
    if info.favicon_url:
        extra["favicon"] = info.favicon_url
    if info.hub_url:
        extra["hubs"] = [{"type": "WebSub", "url": info.hub_url}]
    return extra


def render_json_feed(info: FeedInfo, entries: Sequence[Entry]) -> bytes:
    """JSON Feed 1.1 bytes of ``entries`` (already in feed order)."""
    feed = {
        "version": VERSION,
        "title": info.title,
        "home_page_url": info.home_url,
        "feed_url": info.self_url,
        "description": info.description,
        "language": info.language,
        "authors": [{"name": info.author}],
        **_hubs_and_icons(info),
        "items": [json_feed_item(entry) for entry in entries],
    }
    return json.dumps(feed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
