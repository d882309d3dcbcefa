"""RSS 2.0 and Atom 1.0 through feedgen. The only module that imports feedgen, so it can be replaced.

feedgen 1.0.0 pitfalls handled here: entries appended with ``order="append"``; the
``rel="self"`` link added before the alternate one (RSS keeps the last); ``updated``/``lastBuildDate``
always set from the change marker (its default is "now"); GUIDs are ``urn:uuid`` with
``isPermaLink="false"``; authors go to ``dc:creator`` in RSS (its ``<author>`` needs an e-mail);
media elements with ``group=None``; the lead image's RSS ``<enclosure>`` written by our own extension,
never through feedgen (which would also make it an Atom entry link, and those lose ``rel``, #135); and
RFC 822 dates formatted without switching the process locale.

What differs between the formats is written by one entry extension, because feedgen maps Atom to RSS in
ways the W3C Feed Validator flags: an author with an e-mail would become RSS ``<author>``, and a category
label would replace the RSS category's term.
"""

from __future__ import annotations

import email.utils
import html
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import feedgen.entry
import feedgen.feed
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from feedsvc.articles import split_author
from feedsvc.core.models import Article
from feedsvc.feeds.entries import Entry

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ATOM_LINK = "{http://www.w3.org/2005/Atom}link"
LOGO_SIZE = (144, 72)  # pixels of FeedInfo.logo_url: RSS allows 144 wide at most, Atom wants 2:1
GENERATOR = "feedsvc"

_patch_lock = threading.Lock()
_patched = False


@dataclass(frozen=True)
class FeedInfo:
    """What a feed says about itself; every URL absolute."""

    feed_id: str
    title: str
    description: str
    self_url: str
    home_url: str
    updated: datetime
    author: str  # the publisher (FEEDSVC_PUBLISHER): Atom requires an author
    language: str = "en"  # the site's (FEEDSVC_LANGUAGE); each entry has its article's own
    hub_url: str | None = None  # a WebSub hub
    icon_url: str | None = None  # square PNG, 512 px (JSON Feed icon)
    favicon_url: str | None = None  # square PNG, 64 px (Atom icon, JSON Feed favicon)
    logo_url: str | None = None  # PNG of LOGO_SIZE (RSS image, Atom logo)


class _ArticleExtension(BaseExtension):
    """Feed half of the per-entry extension (the feed's own xml:lang comes from ``language``)."""


class _ArticleEntryExtension(BaseEntryExtension):
    """What Atom and RSS say differently about one article: language, author, categories, summary."""

    def __init__(self) -> None:
        self.entry: Entry | None = None

    def extend_atom(self, entry):  # type: ignore[no-untyped-def]
        assert self.entry is not None  # set by _add_entry before rendering
        article = self.entry.article
        entry.set(XML_LANG, article.language)
        if author := split_author(article.author):
            element = _sub(entry, "author")
            _sub(element, "name", author.name)
            if author.email:
                _sub(element, "email", author.email)
        for term, label in _categories(article):
            category = _sub(entry, "category")
            category.set("term", term)
            if label:
                category.set("label", label)
        if entry.find("summary") is None and entry.find("content") is None:
            # The W3C validator's MissingTextualContent: an entry with no text at all shows its title.
            _sub(entry, "summary", article.title)
        return entry

    def extend_rss(self, item):  # type: ignore[no-untyped-def]
        assert self.entry is not None
        article, image = self.entry.article, self.entry.image
        if article.summary:
            # RSS <description> is HTML: the plain summary goes in escaped, so "a < b" is never a tag.
            item.find("description").text = html.escape(article.summary, quote=False)
        for term, _label in _categories(article):
            _sub(item, "category", term)
        if image and image.length and image.media_type:
            # RSS requires an enclosure's true length: known only for our own files, so another host's
            # image is left to media:content and the content (an unknown length would be a made-up one).
            _sub(item, "enclosure").attrib.update(
                {"url": image.url, "length": str(image.length), "type": image.media_type})
        return item


def _sub(parent, name: str, text: str | None = None):  # type: ignore[no-untyped-def]
    # Unqualified, like feedgen's own elements: the document's default namespace applies.
    element = xml_elem(name, parent)
    element.text = text
    return element


def _categories(article: Article) -> list[tuple[str, str | None]]:
    """(term, label) of every category: countries with their display name, then tags (slugs alone)."""
    return [(c.slug, c.name) for c in article.countries] + [(t.slug, None) for t in article.tags]


class _HubExtension(BaseExtension):
    """RSS ``<atom:link rel="hub">`` next to the self link (feedgen writes only rel=self in RSS)."""

    def __init__(self) -> None:
        self.href: str | None = None

    def extend_rss(self, feed):  # type: ignore[no-untyped-def]
        if self.href:
            channel = feed[0]
            self_link = channel.find(ATOM_LINK)
            hub = channel.makeelement(ATOM_LINK, {"href": self.href, "rel": "hub"})
            channel.insert(list(channel).index(self_link) + 1, hub)
        return feed


def _add_images(fg: FeedGenerator, info: FeedInfo) -> None:
    if info.logo_url:  # feedgen's image() is both the RSS <image> and the Atom <logo>
        width, height = LOGO_SIZE
        fg.image(url=info.logo_url, title=info.title, link=info.home_url, width=str(width),
                 height=str(height))
    if info.favicon_url:
        fg.icon(info.favicon_url)


def _add_hub(fg: FeedGenerator, info: FeedInfo) -> None:
    if info.hub_url:
        fg.link(href=info.hub_url, rel="hub")  # Atom; before the alternate link, which RSS keeps
        fg.register_extension("feedsvc_hub", _HubExtension, atom=False, rss=True)
        fg.feedsvc_hub.href = info.hub_url


def _format_rfc822(value: datetime) -> str:
    # feedgen's own formatter calls locale.setlocale() around strftime, which races with other threads.
    return email.utils.format_datetime(value)


def _use_locale_free_dates() -> None:
    global _patched
    with _patch_lock:
        if not _patched:
            feedgen.feed.formatRFC2822 = _format_rfc822  # type: ignore[attr-defined]
            feedgen.entry.formatRFC2822 = _format_rfc822  # type: ignore[attr-defined]
            _patched = True


def _build(info: FeedInfo, entries: Sequence[Entry]) -> FeedGenerator:
    _use_locale_free_dates()
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.load_extension("media")
    fg.register_extension("feedsvc", _ArticleExtension, _ArticleEntryExtension, atom=True, rss=True)
    fg.id(info.feed_id)
    fg.title(info.title)
    fg.subtitle(info.description)  # also the RSS <description>
    fg.link(href=info.self_url, rel="self")  # first: RSS <link> is the last link given
    _add_hub(fg, info)
    fg.link(href=info.home_url, rel="alternate", type="text/html")
    fg.language(info.language)
    fg.author({"name": info.author})
    fg.generator(GENERATOR)
    fg.updated(info.updated)
    fg.lastBuildDate(info.updated)
    _add_images(fg, info)
    for item in entries:
        _add_entry(fg, item)
    return fg


def _add_entry(fg: FeedGenerator, item: Entry) -> None:
    article, url, image = item.article, item.url, item.image
    entry: FeedEntry = fg.add_entry(order="append")
    entry.guid(f"urn:uuid:{article.uuid}", permalink=False)  # also the Atom <id>
    entry.title(article.title)
    entry.link(href=url, rel="alternate", type="text/html")
    if article.summary:
        entry.summary(article.summary)
    if item.content_html:
        entry.content(item.content_html, type="html")
    entry.published(article.published_at.replace(microsecond=0))
    # The article's own last edit, to the microsecond: two entries written in the same second still
    # differ (the validator's DuplicateUpdated). RSS has no such element.
    entry.updated(article.updated_at)
    if author := split_author(article.author):
        entry.dc.dc_creator(author.name)  # RSS: the name alone (the Atom author is the extension's)
    if image:
        known = image.width and image.height
        size = {"width": str(image.width), "height": str(image.height)} if known else {}
        entry.media.thumbnail(url=image.url, group=None, **size)
        media = {"type": image.media_type} if image.media_type else {}
        entry.media.content(url=image.url, medium="image", group=None, **size, **media)
    entry.dc.dc_language(article.language)
    entry.feedsvc.entry = item


def _hex_references(document: bytes) -> bytes:
    """Spell ``&``, ``<`` and ``>`` in character data as hexadecimal references (RSS Best Practices Profile).

    Still escaped exactly once; the profile found this the form most aggregators read as plain text, and
    the W3C validator takes it as the sign of a publisher following the profile. lxml writes these three
    only as escapes (we never use CDATA), so the replacement is exact.
    """
    return document.replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;").replace(b"&gt;", b"&#x3E;")


def render_rss(info: FeedInfo, entries: Sequence[Entry]) -> bytes:
    """RSS 2.0 bytes of ``entries`` (already in feed order)."""
    return _hex_references(_build(info, entries).rss_str(pretty=False))


def render_atom(info: FeedInfo, entries: Sequence[Entry]) -> bytes:
    """Atom 1.0 bytes of ``entries`` (already in feed order)."""
    return _hex_references(_build(info, entries).atom_str(pretty=False))
