"""RSS 2.0, Atom and JSON Feed documents parsed into entries (pure), with the feed's WebSub hub.

RSS and Atom go through feedparser, with its own HTML sanitiser off: our cleaner (articles/clean.py)
decides what content keeps, embeds included. feedparser 6 does not read JSON Feed, which is plain JSON:
it is read here. An entry is keyed by its id (RSS ``guid``, Atom ``id``, JSON Feed ``id``), else its link;
its change marker is a digest of what we store of it, so an edited entry is updated even when the feed
gives no updated date.
"""

from __future__ import annotations

import hashlib
import json
from calendar import timegm
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import feedparser

from feedsvc.articles.upstreams.entries import Entry, Image, Refused, external_id
from feedsvc.articles.upstreams.wordpress import UpstreamError


@dataclass
class ParsedFeed:
    """A feed's entries, the entries refused (with why), and its WebSub hub and self URL if named."""

    entries: list[Entry] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    hub: str | None = None
    self_url: str | None = None


def parse_feed(body: bytes, content_type: str = "") -> ParsedFeed:
    """Parse an RSS, Atom or JSON Feed document; UpstreamError when it is none of them."""
    if body.lstrip()[:1] == b"{" or "json" in content_type:
        return parse_json_feed(body)
    parsed = feedparser.parse(body, sanitize_html=False, response_headers={"content-type": content_type})
    if not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS or Atom root element"
        raise UpstreamError(f"not a feed ({content_type or 'no content type'}): {reason}")
    feed = ParsedFeed()
    for link in parsed.feed.get("links", []):
        if link.get("rel") == "hub" and not feed.hub:
            feed.hub = link.get("href")
        elif link.get("rel") == "self" and not feed.self_url:
            feed.self_url = link.get("href")
    _add_entries(feed, parsed.entries, _xml_entry, "entry")
    return feed


def _xml_entry(item: Any) -> Entry:
    key = item.get("id") or item.get("link")
    if not key:
        raise Refused("no id or link")
    content = item.get("content") or []
    summary = item.get("summary", "")  # RSS description, Atom summary
    html = content[0].get("value", "") if content else summary
    terms = tuple((_slug(tag.get("term", "")), tag.get("label") or tag.get("term", ""))
                  for tag in item.get("tags", []) if tag.get("term"))
    published = item.get("published_parsed") or item.get("updated_parsed")
    return _entry(key, item.get("title", ""), summary, html, item.get("author"), item.get("link"),
                  datetime.fromtimestamp(timegm(published), UTC) if published else None,
                  _xml_image(item), terms)


def _xml_image(item: Any) -> Image | None:
    """The lead image from media:content / media:thumbnail, or an image enclosure."""
    for media in (*item.get("media_content", []), *item.get("media_thumbnail", [])):
        if media.get("url") and media.get("medium", "image") == "image":
            return Image(media["url"], _int(media.get("width")), _int(media.get("height")))
    for link in item.get("links", []):
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/"):
            return Image(link.get("href", ""))
    return None


def parse_json_feed(body: bytes) -> ParsedFeed:
    """A JSON Feed 1.0 or 1.1 document."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise UpstreamError("not a feed: invalid JSON") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise UpstreamError("not a feed: JSON without a jsonfeed.org version")
    feed = ParsedFeed(self_url=_str(data.get("feed_url")) or None)
    hubs = data.get("hubs") if isinstance(data.get("hubs"), list) else []
    feed.hub = next((_str(hub.get("url")) for hub in hubs if isinstance(hub, dict) and hub.get("url")), None)
    _add_entries(feed, data.get("items") or [], _json_entry, "item")
    return feed


def _add_entries(feed: ParsedFeed, items: Iterable[Any], read: Callable[[Any], Entry], noun: str) -> None:
    """Each item read into an entry, or refused with its number and why: one bad item spoils no other."""
    for number, item in enumerate(items, 1):
        try:
            feed.entries.append(read(item))
        except Refused as exc:
            feed.refused.append(f"{noun} {number}: {exc}")


def _json_entry(item: Any) -> Entry:
    if not isinstance(item, dict) or not (item.get("id") or item.get("url")):
        raise Refused("no id or url")
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    author = next((_str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")), None)
    html = _str(item.get("content_html")) or _str(item.get("content_text"))
    tags = tuple((_slug(tag), tag) for tag in item.get("tags") or [] if isinstance(tag, str) and tag)
    image = _str(item.get("image")) or _str(item.get("banner_image"))
    return _entry(str(item.get("id") or item.get("url")), _str(item.get("title")), _str(item.get("summary")),
                  html, author, _str(item.get("url")) or None, _json_date(item.get("date_published")),
                  Image(image) if image else None, tags)


def _entry(key: str, title: str, summary: str, html: str, author: str | None, link: str | None,
           published: datetime | None, image: Image | None, terms: tuple[tuple[str, str], ...]) -> Entry:
    """An Entry whose change marker is a digest of every field we keep."""
    marker = json.dumps([title, summary, html, author, link, published.isoformat() if published else None,
                         image and [image.url, image.width, image.height], terms], ensure_ascii=False)
    digest = hashlib.sha256(marker.encode("utf-8", "surrogatepass")).hexdigest()
    # A feed's categories are both: a rule on a category or on a tag matches them.
    return Entry(remote_id=external_id(key), guid=key, modified=digest, title=title, summary=summary,
                 content=html, author=author, link=link, published=published, image=image,
                 categories=terms, tags=terms)


def _json_date(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"date_published {value[:40]!r} is not an RFC 3339 date") from None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _slug(term: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in term.lower()).split())


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None
