"""Crawler routes: /robots.txt, /sitemap.xml (an index of /sitemap-<n>.xml when large), /sitemap-news.xml."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import NotFound

from feedsvc.articles import (
    article_validators,
    oldest_recent,
    read_articles_marker,
    select_recent_rows,
    select_visible_rows,
    visible_id_range,
)
from feedsvc.core.changes import Marker, read_marker
from feedsvc.core.countries import ALL, country_scope, find_scope, tracked
from feedsvc.core.db import get_session
from feedsvc.core.http import conditional_response, make_etag
from feedsvc.core.params import QueryParams
from feedsvc.core.site import site_name
from feedsvc.core.urls import article_page_url, article_page_url_builder, base_url, external_url
from feedsvc.web.discovery import (
    Location,
    NewsItem,
    news_language,
    render_news_sitemap,
    render_robots,
    render_sitemap_index,
    render_urlset,
    w3c_datetime,
)

bp = Blueprint("sitemaps", __name__, template_folder="templates")
bp.add_app_template_filter(w3c_datetime, "w3c_datetime")
bp.add_app_template_filter(news_language, "news_language")
NEWS_WINDOW = timedelta(days=2)  # Google News reads articles of the last two days
XML = "application/xml; charset=utf-8"
NEWS_OLDEST = "feedsvc.web.news_oldest"  # app.extensions: (marker, oldest id in the window, when it leaves)


@bp.get("/robots.txt")
def get_robots() -> Response:
    """Crawl rules and the absolute URLs of the sitemaps."""
    QueryParams(request.args, ()).done()
    sitemaps = [external_url("sitemaps.get_sitemap"), external_url("sitemaps.get_news_sitemap")]
    # /search: endless combinations of query strings, each a copy of pages the sitemap lists.
    body = render_robots(sitemaps, disallow=["/search"])
    return conditional_response(make_etag("robots", base_url()), None, lambda: body,
                                "text/plain; charset=utf-8")


@bp.get("/sitemap.xml")
def get_sitemap() -> Response:
    """Every page as one sitemap, or an index of sitemap files past SITEMAP_MAX_URLS."""
    return _sitemap_response(None)


@bp.get("/sitemap-<int:number>.xml")
def get_sitemap_file(number: int) -> Response:
    """File ``number`` (from 1) of a sitemap too large for one file."""
    return _sitemap_response(number)


def _sitemap_response(number: int | None) -> Response:
    QueryParams(request.args, ()).done()
    size = current_app.config["SITEMAP_MAX_URLS"]
    # The marker moves when an embargo ends, too: that article becomes a URL of the sitemap.
    etag, marker = article_validators("sitemap", number, size)
    return conditional_response(etag, marker.changed_at,
                                lambda: _render_sitemap(number, size, marker, datetime.now(UTC)), XML,
                                key=f"sitemap:{etag}")


def _render_sitemap(number: int | None, size: int, marker: Marker, now: datetime) -> bytes:
    fixed = _fixed_pages(marker)
    # The article with the lowest visible id comes right after the fixed pages, and every later id n
    # (n - lowest) places after it: a file is an id range, read by the primary key, never an OFFSET. A
    # deleted or scheduled id leaves its file one URL short instead of shifting every later file.
    ids = visible_id_range(get_session(), now)
    lowest, highest = ids or (1, 0)
    files = math.ceil((len(fixed) + highest - lowest + 1) / size)
    if number is None and files > 1:
        return render_sitemap_index(
            Location(external_url("sitemaps.get_sitemap_file", number=n)) for n in range(1, files + 1))
    if number is not None and not (files > 1 and 1 <= number <= files):
        raise NotFound(f"no sitemap file {number}: /sitemap.xml is the whole sitemap or lists its files")
    return render_urlset(_file_locations(fixed, lowest, number or 1, size, now))


def _fixed_pages(marker: Marker) -> list[Location]:
    """Home and the country listings, which change with their articles."""
    pages = [Location(external_url("web.show_home"), marker.changed_at)]
    for country in tracked():
        changed = read_marker(country_scope(country.slug)).changed_at
        pages.append(Location(external_url("web.show_country", country=country.slug), changed))
    return pages


def _file_locations(fixed: list[Location], lowest: int, number: int, size: int,
                    now: datetime) -> list[Location]:
    """The URLs of file ``number``: the fixed pages first, then articles in id order from ``lowest``."""
    start, end = (number - 1) * size, number * size
    head = fixed[start:end]
    first = lowest + start - len(fixed)
    rows = select_visible_rows(get_session(), now, max(first, lowest), lowest + end - len(fixed) - 1)
    page_url = article_page_url_builder()
    return head + [Location(page_url(row), row.updated_at) for row in rows]


@bp.get("/sitemap-news.xml")
def get_news_sitemap() -> Response:
    """Google News sitemap: the articles of the last two days, newest first, at most 1,000."""
    QueryParams(request.args, ()).done()
    now = datetime.now(UTC)
    since = now - NEWS_WINDOW
    # Which articles are in depends on the clock as well as on writes: the oldest one leaves first.
    etag, _marker = article_validators("news-sitemap", _oldest_in_window(now))

    def render() -> bytes:
        rows = select_recent_rows(get_session(), since, now, current_app.config["SITEMAP_NEWS_MAX_URLS"])
        items = [NewsItem(article_page_url(row), row.title, row.published_at, row.language) for row in rows]
        return render_news_sitemap(items, site_name())

    return conditional_response(etag, None, render, XML, key=f"sitemap:{etag}")


def _oldest_in_window(now: datetime) -> int | None:
    """The id of the oldest article in the news window, looked up again only once it has left it.

    Kept per process with the marker it was read under: nothing enters the window without moving the
    marker (a write, or an embargo ending), and nothing leaves it before the oldest does.
    """
    marker = read_articles_marker(find_scope(ALL))  # type: ignore[arg-type]
    known = current_app.extensions.get(NEWS_OLDEST)
    if known is None or known[0] != marker or (known[2] is not None and now >= known[2]):
        row = oldest_recent(get_session(), now - NEWS_WINDOW, now)
        known = (marker, row and row.id, row and row.published_at + NEWS_WINDOW)
        current_app.extensions[NEWS_OLDEST] = known
    return known[1]
