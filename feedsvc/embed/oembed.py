"""oEmbed (oembed.com): our page and embed URLs resolved to a rich iframe answer, and discovery links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from flask import request
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from feedsvc.articles import get_article
from feedsvc.core.countries import ALL, find_scope, tracked_currencies
from feedsvc.core.db import get_session
from feedsvc.core.errors import BadRequestParams
from feedsvc.core.models import MAX_ID, Article
from feedsvc.core.params import QueryParams
from feedsvc.core.site import site_identity
from feedsvc.core.urls import base_url, external_url, site_url
from feedsvc.embed.layout import (
    CARD_HEIGHT,
    FRAME_WIDTH,
    MAX_FRAME,
    fitting_limit,
    headlines_height,
    ticker_height,
)
from feedsvc.embed.params import (
    HeadlinesQuery,
    TickerQuery,
    parse_headlines_query,
    parse_page_ticker_query,
    parse_ticker_query,
)
from feedsvc.rates import default_pairs

CACHE_AGE = 300  # seconds, as the pages' own Cache-Control
ARTICLE_PATH = re.compile(r"/articles/(\d{1,12})(?:/[^/]*)?")
EMBED_COUNTRY_PATH = re.compile(r"/embed/([^/]+)")


@dataclass(frozen=True)
class OembedQuery:
    """``GET /oembed``: the URL to embed, the answer's format and the consumer's size limits."""

    url: str
    format: str
    max_width: int | None
    max_height: int | None


@dataclass(frozen=True)
class Target:
    """What a URL embeds: a country's headlines (``slug``), the rates ticker, or one article's card."""

    title: str
    slug: str | None
    headlines: HeadlinesQuery | None = None
    ticker: TickerQuery | None = None
    article: Article | None = None


def parse_oembed_query(args: Any) -> OembedQuery:
    """Parse ``?url=&format=&maxwidth=&maxheight=``; other names (a consumer's own) are ignored."""
    params = QueryParams(args, tuple(args), blank="absent")
    url = params.text("url", 2000)
    if not url:
        params.error("url", "is required: the address of a country, article or rates page, or an embed")
    max_width = params.whole("maxwidth", 0, 1, 10000) or None
    max_height = params.whole("maxheight", 0, 1, 10000) or None
    query = OembedQuery(url, (params.raw("format") or "json").lower(), max_width, max_height)
    params.done()
    return query


def _own_path(url: str) -> tuple[str, str] | None:
    """The path and query of ``url`` when it is on this service's origin, else None."""
    parts, ours = urlsplit(url), urlsplit(base_url())
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != ours.netloc.lower():
        return None
    return (parts.path.rstrip("/") or "/"), parts.query


def _options(query: str, parse: Any) -> Any:
    try:
        return parse(MultiDict(parse_qsl(query, keep_blank_values=True)))
    except BadRequestParams:
        return None


def _headlines(slug: str, options: HeadlinesQuery | None = None) -> Target | None:
    scope = find_scope(slug)
    if scope is None or options is None:
        return None
    return Target(f"{scope.name} headlines", scope.slug, headlines=options)


def _article(article_id: int) -> Target | None:
    article = get_article(get_session(), article_id) if article_id <= MAX_ID else None
    if article is None or article.published_at > datetime.now(UTC):
        return None
    return Target(article.title, None, article=article)


def resolve(url: str) -> Target | None:
    """What our page or embed at ``url`` embeds as; None for an unknown or foreign URL."""
    own = _own_path(url)
    if own is None:
        return None
    path, query = own
    if path in ("/rates", "/embed/rates"):
        ticker = _options(query, parse_ticker_query if path == "/embed/rates" else parse_page_ticker_query)
        return None if ticker is None else Target("Exchange rates", None, ticker=ticker)
    if match := ARTICLE_PATH.fullmatch(path):
        return _article(int(match.group(1)))
    if match := EMBED_COUNTRY_PATH.fullmatch(path):
        return _headlines(match.group(1), _options(query, parse_headlines_query))
    if path == "/":  # the home page: every country's headlines
        return _headlines(ALL, HeadlinesQuery())
    if path.count("/") == 1:
        return _headlines(path[1:], HeadlinesQuery())
    return None


def _frame_src(target: Target, limit: int | None) -> str:
    if target.article is not None:
        return external_url("embed.show_card_frame", article_id=target.article.id)
    if target.ticker is not None:
        theme = target.ticker.theme if target.ticker.theme != "auto" else None
        pairs = ",".join(map(str, target.ticker.pairs))
        return external_url("embed.show_rates_frame", pairs=pairs, theme=theme)
    options = target.headlines or HeadlinesQuery()
    params = {**options.params(), "limit": limit}
    return external_url("embed.show_headlines_frame", country=target.slug, **params)


def _size(target: Target, query: OembedQuery) -> tuple[int, int, int | None]:
    width = min(query.max_width or FRAME_WIDTH, FRAME_WIDTH)
    if target.article is not None:
        return width, min(CARD_HEIGHT, query.max_height or MAX_FRAME), None
    if target.ticker is not None:
        pairs = len(target.ticker.pairs) or len(default_pairs(tracked_currencies()))
        return width, min(ticker_height(pairs), query.max_height or MAX_FRAME), None
    options = target.headlines or HeadlinesQuery()
    limit = fitting_limit(options.limit, min(query.max_height or MAX_FRAME, MAX_FRAME))
    return width, headlines_height(limit), limit


def oembed_answer(target: Target, query: OembedQuery) -> dict[str, Any]:
    """The oEmbed 1.0 ``rich`` answer: an auto-height iframe plus the loader that resizes it."""
    width, height, limit = _size(target, query)
    src = _frame_src(target, limit)
    html = (f'<iframe src="{escape(src)}" title="{escape(target.title)}" width="{width}" height="{height}" '
            f'style="border:0" frameborder="0" loading="lazy"></iframe>'
            f'<script src="{escape(external_url("embed.get_frame_script"))}" async></script>')
    answer = {"version": "1.0", "type": "rich", "title": target.title,
              "provider_name": site_identity().publisher, "provider_url": external_url("web.show_home"),
              "cache_age": CACHE_AGE, "html": html, "width": width, "height": height}
    return answer | _thumbnail(target.article)


def _thumbnail(article: Article | None) -> dict[str, Any]:
    """oEmbed's thumbnail fields: an article's image, when its size is known (the spec wants all three)."""
    if article is None or not article.image_url or not (article.image_width and article.image_height):
        return {}
    return {"thumbnail_url": site_url(article.image_url), "thumbnail_width": article.image_width,
            "thumbnail_height": article.image_height}


def discovery_link(path: str | None = None) -> Markup:
    """The ``<link rel="alternate" type="application/json+oembed">`` of the page being rendered, or ''.

    ``path``: the page's path with the query that says what it embeds as (the /rates page's pairs).
    """
    page = base_url().rstrip("/") + (path or request.path)
    if resolve(page) is None:
        return Markup("")
    href = external_url("embed.get_oembed") + "?url=" + quote(page, safe="") + "&format=json"
    return Markup('<link rel="alternate" type="application/json+oembed" href="{}" title="{}">').format(
        href, "oEmbed")
