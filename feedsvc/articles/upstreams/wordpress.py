"""WordPress's REST API: the URLs a sync asks for, and pure parsing of its answers into entries.

Posts are read newest-modified last (``orderby=modified&order=asc``) with ``_embed``, so one request per
100 posts brings the author, the featured image and the terms with them. An incremental sync sends
``modified_after`` (WordPress 5.7+) with the site's local ``modified`` of the newest post seen, as WordPress
compares it with the local ``post_modified`` column. Only published posts are ever listed: the API's
default ``status=publish`` hides scheduled (``future``) posts until their time, and this never asks for
another status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from feedsvc.articles.upstreams.entries import Entry, Image, Refused

POSTS_PATH = "/wp-json/wp/v2/posts"
PER_PAGE = 100  # the API's maximum
# modified_after is strict: the posts saved in the watermark's second are asked for again.
OVERLAP = timedelta(seconds=1)


class UpstreamError(Exception):
    """The upstream's answer is unusable as a whole (not JSON, not a list, an error object)."""


def posts_url(base: str, page: int, modified_after: str | None = None) -> str:
    """The URL of one page of published posts, oldest-modified first, embedded, after the watermark."""
    query: dict[str, Any] = {"_embed": "1", "orderby": "modified", "order": "asc", "per_page": PER_PAGE,
                             "page": page}
    if modified_after:
        query["modified_after"] = modified_after
    return f"{base.rstrip('/')}{POSTS_PATH}?{urlencode(query)}"


def ids_url(base: str, ids: Sequence[int]) -> str:
    """The URL that lists which of ``ids`` are still published (their ids only)."""
    query = {"include": ",".join(map(str, ids)), "per_page": PER_PAGE, "_fields": "id"}
    return f"{base.rstrip('/')}{POSTS_PATH}?{urlencode(query)}"


def since_watermark(watermark: str | None) -> str | None:
    """The ``modified_after`` value for a watermark: one second earlier (the comparison is strict)."""
    if not watermark:
        return None
    return (datetime.fromisoformat(watermark) - OVERLAP).strftime("%Y-%m-%dT%H:%M:%S")


def total_pages(headers: Mapping[str, str]) -> int | None:
    """``X-WP-TotalPages``, when the site sends a number."""
    value = headers.get("X-WP-TotalPages", "")
    return int(value) if value.isascii() and value.isdigit() else None


def parse_json_list(body: bytes, content_type: str = "") -> list[Any]:
    """The JSON array a collection answers; UpstreamError for HTML, an error object or anything else."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        kind = content_type.split(";")[0].strip() or "no content type"
        raise UpstreamError(f"not JSON ({kind}, {len(body)} bytes): is the WordPress REST API at "
                            f"{POSTS_PATH}?") from None
    if isinstance(data, dict) and "code" in data:
        raise UpstreamError(f"WordPress answered an error: {data.get('code')}: {data.get('message')}")
    if not isinstance(data, list):
        raise UpstreamError(f"expected a JSON array of posts, got a JSON {type(data).__name__}")
    return data


def parse_ids(body: bytes, content_type: str = "") -> set[int]:
    """The post ids of a ``_fields=id`` answer."""
    ids = set()
    for item in parse_json_list(body, content_type):
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            raise UpstreamError("expected objects with an integer id")
        ids.add(item["id"])
    return ids


def parse_post(post: Any) -> Entry:
    """One post of a ``_embed`` answer as an Entry; Refused for a post that is not a usable one."""
    if not isinstance(post, dict) or not isinstance(post.get("id"), int):
        raise Refused("not a post object with an integer id")
    number = post["id"]
    if post.get("status", "publish") != "publish":
        raise Refused(f"post {number}: status {post.get('status')!r}, not published")
    guid = _rendered(post.get("guid")) or post.get("link") or ""
    if not isinstance(guid, str) or not guid:
        raise Refused(f"post {number}: no GUID")
    embedded = post.get("_embedded") if isinstance(post.get("_embedded"), dict) else {}
    categories, tags = _terms(embedded.get("wp:term"))
    return Entry(
        remote_id=str(number),
        guid=guid,
        modified=_text(post.get("modified_gmt")) or _text(post.get("modified")),
        title=_rendered(post.get("title")),
        summary=_rendered(post.get("excerpt")),
        content=_rendered(post.get("content")),
        author=_author(embedded.get("author")),
        link=_text(post.get("link")) or None,
        published=_gmt(post.get("date_gmt"), number),
        image=_featured_image(embedded.get("wp:featuredmedia")),
        categories=categories,
        tags=tags,
        order_key=_text(post.get("modified")) or None,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _rendered(value: Any) -> str:
    return _text(value.get("rendered")) if isinstance(value, dict) else ""


def _gmt(value: Any, number: int) -> datetime | None:
    """A ``*_gmt`` field: ISO 8601 without an offset, in UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(f"post {number}: date_gmt {value[:40]!r} is not a date") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _author(value: Any) -> str | None:
    """The name of the first embedded author (WordPress embeds the user's public profile)."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        name = value[0].get("name")
        return name if isinstance(name, str) and name else None
    return None


def _featured_image(value: Any) -> Image | None:
    """The featured media's URL, size (``media_details``) and alt text, if it is an image."""
    if not isinstance(value, list) or not value or not isinstance(value[0], dict):
        return None
    media = value[0]
    if media.get("media_type", "image") != "image" or not isinstance(media.get("source_url"), str):
        return None
    details = media.get("media_details") if isinstance(media.get("media_details"), dict) else {}
    return Image(media["source_url"], details.get("width"), details.get("height"),
                 _text(media.get("alt_text")))


def _terms(value: Any) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """Categories and tags from ``_embedded["wp:term"]`` (a list per taxonomy), as (slug, name)."""
    found: dict[str, list[tuple[str, str]]] = {"category": [], "post_tag": []}
    for taxonomy in value if isinstance(value, list) else []:
        for term in taxonomy if isinstance(taxonomy, list) else []:
            if isinstance(term, dict) and term.get("taxonomy") in found and isinstance(term.get("slug"), str):
                found[term["taxonomy"]].append((term["slug"], _text(term.get("name"))))
    return tuple(found["category"]), tuple(found["post_tag"])
