"""One article as a feed gives it: its page, its lead image, and its content with the image first.

Readers differ in where they look for a picture (FreshRSS, Feedly and Miniflux read ``media:content`` or
``<enclosure>``; newsboat and many mobile readers show only the content), so the lead image is given in
each place. Every URL is absolute on the address the feed is served at.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import escape

from feedsvc.articles import absolute_links
from feedsvc.core.models import Article
from feedsvc.core.urls import is_site_path, served_file, site_root, site_url


@dataclass(frozen=True)
class LeadImage:
    """An article's lead image as readers get it."""

    url: str  # absolute
    alt: str  # "" when the editor gave no description
    width: int | None
    height: int | None
    media_type: str | None  # from the file's name: image/png, image/jpeg...
    length: int | None  # bytes, measured on our own file; None for another host's (never guessed)


@dataclass(frozen=True)
class Entry:
    """What a feed renders of one article."""

    article: Article
    url: str  # its page
    content_html: str  # the lead image first, then the body; "" when the article has neither
    image: LeadImage | None


def lead_image(article: Article) -> LeadImage | None:
    """The article's lead image, its size in bytes measured when the file is the site's own."""
    if not article.image_url:
        return None
    own = served_file(article.image_url) if is_site_path(article.image_url) else None
    media_type = mimetypes.guess_type(article.image_url.split("?")[0])[0]
    return LeadImage(site_url(article.image_url) or article.image_url, article.image_alt or "",
                     article.image_width, article.image_height,
                     media_type if media_type and media_type.startswith("image/") else None,
                     own.stat().st_size if own else None)


def figure_html(image: LeadImage) -> str:
    """``<figure><img ...></figure>`` of the lead image, with its alt text and, when known, its size."""
    size = f' width="{image.width}" height="{image.height}"' if image.width and image.height else ""
    return f'<figure><img src="{escape(image.url)}" alt="{escape(image.alt)}"{size}></figure>'


def make_entry(article: Article, article_url: Callable[[Article], str]) -> Entry:
    """The entry of ``article``: its page URL, lead image and content."""
    image = lead_image(article)
    body = absolute_links(article.content_html, site_root())
    content = (figure_html(image) if image else "") + body
    return Entry(article, article_url(article), content, image)
