"""Absolute URLs for feeds, embeds and the API: FEEDSVC_PUBLIC_URL when set, else the request's."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask import current_app, url_for


def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug of a title (ASCII letters and digits joined by hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "article"


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL of ``endpoint``, based on FEEDSVC_PUBLIC_URL when it is set."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def article_page_url(article: Any) -> str:
    """The absolute URL of an article's page: /articles/<id>/<slug>."""
    return external_url("web.show_article", article_id=article.id, slug=slugify(article.title))
