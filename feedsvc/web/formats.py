"""Template filters of the pages: the one date format (core/dates.py), bylines, meta for sharing."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from markupsafe import Markup

from feedsvc.articles import absolute_links, split_author
from feedsvc.core.urls import site_root


def byline(author: str | None) -> str:
    """The name to show for a stored author: ``Economy desk <economy@example.org>`` → ``Economy desk``."""
    split = split_author(author)
    return split.name if split else ""


def body_html(html: str) -> Markup:
    """An article's stored (sanitised) HTML, its links and images on this site made absolute."""
    return Markup(absolute_links(html, site_root()))  # noqa: S704 -- sanitised with an allowlist when written


def json_ld(data: dict[str, Any]) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block: ``<``, ``>`` and ``&`` escaped as \\u00XX.

    The escapes keep a title holding ``</script>`` from ending the block; JSON readers decode them.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    safe = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(safe)  # noqa: S704 -- JSON with every character that could end the block escaped


def iso(value: datetime, *, exact: bool = False) -> str:
    """An RFC 3339 timestamp as in the feeds' JSON (``2025-03-03T07:30:00Z`` for UTC).

    ``exact``: to the microsecond, as the feeds give an edit time; published times are whole seconds.
    """
    return (value if exact else value.replace(microsecond=0)).isoformat().replace("+00:00", "Z")

