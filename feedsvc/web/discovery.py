"""Render what crawlers read: sitemaps (sitemaps.org 0.9), the Google News sitemap, robots.txt."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


@dataclass(frozen=True)
class Location:
    """One URL of a sitemap (or one sitemap of an index), with its last change when known."""

    loc: str
    lastmod: datetime | None = None


@dataclass(frozen=True)
class NewsItem:
    """One article of the news sitemap."""

    loc: str
    title: str
    published: datetime
    language: str  # BCP 47, as stored


def w3c_datetime(value: datetime) -> str:
    """A W3C datetime in UTC, whole seconds (``2025-03-01T08:00:00Z``)."""
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def news_language(tag: str) -> str:
    """Google News' language code of a BCP 47 tag: ISO 639 (2-3 letters), or zh-cn / zh-tw."""
    subtags = tag.lower().replace("_", "-").split("-")
    if subtags[0] == "zh":
        traditional = {"hant", "tw", "hk", "mo"} & set(subtags[1:])
        return "zh-tw" if traditional else "zh-cn"
    # "und" (ISO 639-2: undetermined) rather than a wrong language for a tag Google has no code for.
    return subtags[0] if re.fullmatch(r"[a-z]{2,3}", subtags[0]) else "und"


def _document(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _child(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def render_urlset(locations: Iterable[Location]) -> bytes:
    """A sitemap (``<urlset>``) of ``locations``."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for location in locations:
        url = ET.SubElement(root, "url")
        _child(url, "loc", location.loc)
        if location.lastmod is not None:
            _child(url, "lastmod", w3c_datetime(location.lastmod))
    return _document(root)


def render_sitemap_index(locations: Iterable[Location]) -> bytes:
    """A sitemap index (``<sitemapindex>``) naming each sitemap file."""
    root = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for location in locations:
        sitemap = ET.SubElement(root, "sitemap")
        _child(sitemap, "loc", location.loc)
        if location.lastmod is not None:
            _child(sitemap, "lastmod", w3c_datetime(location.lastmod))
    return _document(root)


def render_news_sitemap(items: Iterable[NewsItem], publication: str) -> bytes:
    """A Google News sitemap: each article with its publication's name and language, date and title."""
    root = ET.Element("urlset", {"xmlns": SITEMAP_NS, "xmlns:news": NEWS_NS})
    for item in items:
        url = ET.SubElement(root, "url")
        _child(url, "loc", item.loc)
        news = ET.SubElement(url, "news:news")
        source = ET.SubElement(news, "news:publication")
        _child(source, "news:name", publication)
        _child(source, "news:language", news_language(item.language))
        _child(news, "news:publication_date", w3c_datetime(item.published))
        _child(news, "news:title", item.title)
    return _document(root)


def render_robots(sitemaps: Sequence[str], disallow: Sequence[str]) -> str:
    """robots.txt: every crawler may fetch everything but ``disallow``; the sitemaps named absolutely."""
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallow), ""]
    lines += [f"Sitemap: {url}" for url in sitemaps]
    return "\n".join(lines) + "\n"
