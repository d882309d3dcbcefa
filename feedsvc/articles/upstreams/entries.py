"""A post as any upstream gives it (``Entry``), its countries by the upstream's rules, the article it makes.

Pure functions: WordPress and feed parsing produce entries, the writer turns them into articles.
"""

from __future__ import annotations

import hashlib
import re
import uuid as uuid_lib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from feedsvc.articles.clean import clean_text, is_http_url
from feedsvc.articles.schemas import EARLIEST_PUBLISHED

# The uuid of an upstream's post derives from its GUID: the same post keeps the same feed GUID here even
# after it was deleted and came back.
GUID_NAMESPACE = uuid_lib.UUID("a3f4c7e2-5b1d-4e8a-9c6f-2d7b8e0f1a94")
MAX_EXTERNAL_ID = 200
MAX_TAGS = 20
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# A post dated later than this is refused: an upstream's clock or time zone is wrong (a scheduled post is
# never published by the upstream's API before its time).
FUTURE_SLACK = timedelta(hours=1)
IGNORED_TERMS = {"uncategorized"}  # WordPress's default category says nothing about a post


class Refused(ValueError):
    """A post that cannot become an article; the message says why (shown in the run's error)."""


@dataclass(frozen=True)
class Image:
    """The lead image: its URL, size in pixels (when known) and alt text."""

    url: str
    width: int | None = None
    height: int | None = None
    alt: str | None = None


@dataclass(frozen=True)
class Entry:
    """One upstream post, parsed; ``modified`` is the upstream's change marker for it."""

    remote_id: str
    guid: str
    modified: str
    title: str
    summary: str = ""
    content: str = ""
    author: str | None = None
    link: str | None = None
    published: datetime | None = None
    image: Image | None = None
    categories: tuple[tuple[str, str], ...] = ()  # (slug, name)
    tags: tuple[tuple[str, str], ...] = ()
    order_key: str | None = None  # WordPress's local ``modified``: what ``modified_after`` compares


@dataclass(frozen=True)
class Rule:
    """``category:kazakhstan=kazakhstan``: a category (or tag) slug that puts a post in a country."""

    field: str
    slug: str
    country: str

    def matches(self, entry: Entry) -> bool:
        """True when the entry carries this rule's category or tag."""
        terms = entry.categories if self.field == "category" else entry.tags
        return any(slug == self.slug for slug, _name in terms)


def countries_for(entry: Entry, rules: Iterable[Rule], defaults: Sequence[str]) -> list[str]:
    """The countries the rules give the entry, else the defaults; empty: the entry maps to none."""
    matched = list(dict.fromkeys(rule.country for rule in rules if rule.matches(entry)))
    return matched or list(defaults)


def external_id(guid: str) -> str:
    """The article's external id: the GUID itself, or a digest of one too long to store."""
    if len(guid) <= MAX_EXTERNAL_ID:
        return guid
    return "sha256:" + hashlib.sha256(guid.encode("utf-8", "surrogatepass")).hexdigest()


def tag_slugs(entry: Entry) -> list[str]:
    """The entry's categories and tags as our tag slugs (those that are slugs already), at most 20."""
    slugs = (slug.lower() for slug, _name in (*entry.categories, *entry.tags))
    kept = [slug for slug in slugs if len(slug) <= 64 and SLUG.fullmatch(slug) and slug not in IGNORED_TERMS]
    return list(dict.fromkeys(kept))[:MAX_TAGS]


def check_published(published: datetime | None, now: datetime) -> datetime:
    """The publication time if plausible; Refused when missing, before 1990 or in the future."""
    if published is None:
        raise Refused("no publication date")
    if published.year < EARLIEST_PUBLISHED:
        raise Refused(f"dated {published.date()}, before {EARLIEST_PUBLISHED}")
    if published > now + FUTURE_SLACK:
        raise Refused(f"dated {published.isoformat()}, in the future")
    return published.astimezone(UTC)


def article_data(entry: Entry, countries: list[str], language: str, now: datetime) -> dict[str, Any]:
    """The article an entry becomes, as the import takes it; Refused for what cannot be stored."""
    if not clean_text(entry.title):
        raise Refused("no title")
    data: dict[str, Any] = {
        "title": entry.title,
        "summary": entry.summary,
        "content_html": entry.content,
        "source_url": entry.link if entry.link and is_http_url(entry.link) else None,
        "author": entry.author or None,
        "countries": countries,
        "tags": tag_slugs(entry),
        "language": language,
        "published_at": check_published(entry.published, now),
        "external_id": external_id(entry.guid),
        "uuid": str(uuid_lib.uuid5(GUID_NAMESPACE, entry.guid)),
        **image_fields(entry.image),
    }
    return data


def image_fields(image: Image | None) -> dict[str, Any]:
    """The article's image columns: a http(s) image with its size and alt text, else none."""
    if image is None or not is_http_url(image.url):
        return {"image_url": None, "image_width": None, "image_height": None, "image_alt": None}
    alt = clean_text(image.alt or "")[:500] or None
    return {"image_url": image.url, "image_width": _pixels(image.width),
            "image_height": _pixels(image.height), "image_alt": alt}


def _pixels(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 100_000 else None
