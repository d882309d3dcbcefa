"""The site's own name: the publisher that feeds, pages, sitemaps and structured data name."""

from __future__ import annotations


def site_name() -> str:
    """The publisher's name as readers see it (called per response, so that it can become a setting)."""
    return "feedsvc"
