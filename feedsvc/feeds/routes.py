"""Feed routes: /feeds/<country>.rss|.atom|.json, /feeds.opml."""

from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from feedsvc.articles import read_articles_marker, tag_exists
from feedsvc.core.countries import ALL, ALL_NAME, canonical_redirect, find_scope, tracked
from feedsvc.core.db import get_session
from feedsvc.core.http import conditional_response, make_etag
from feedsvc.core.params import QueryParams
from feedsvc.core.site import site_name
from feedsvc.core.urls import FEED_TYPES, base_url, external_url
from feedsvc.feeds.build import build_feed, feed_etag
from feedsvc.feeds.opml import Outline, render_opml
from feedsvc.feeds.params import parse_feed_query

bp = Blueprint("feeds", __name__)


@bp.get("/feeds/<country>.<fmt>")
def get_feed(country: str, fmt: str) -> Response:
    """A country's (or ``all``) newest articles as RSS, Atom or JSON Feed, with conditional GET."""
    if fmt not in FEED_TYPES:
        raise NotFound(f"unknown feed format {fmt[:20]!r}; use one of {', '.join(FEED_TYPES)}")
    scope = find_scope(country)
    if scope is None:
        raise NotFound(f"unknown country {country[:64]!r}")
    query = parse_feed_query(request.args)
    if scope.slug != country:  # an ISO code, or another case
        return canonical_redirect("feeds.get_feed", query.params(), country=scope.slug, fmt=fmt)
    marker = read_articles_marker(scope)
    etag = feed_etag(marker, fmt, query)
    # A feed of a tag nobody used is answered, but not kept: ?tag= takes any slug.
    return conditional_response(
        etag, marker.changed_at, lambda: build_feed(get_session(), scope, fmt, query, marker),
        f"{FEED_TYPES[fmt]}; charset=utf-8", key=f"feed:{etag}", last_known=True,
        variant=(query.limit, query.tag),
        worth_keeping=lambda: query.tag is None or tag_exists(get_session(), query.tag),
    )


@bp.get("/feeds.opml")
def get_opml() -> Response:
    """Every country's feed and the all-countries feed in one OPML 2.0 file, for one-click subscription."""
    QueryParams(request.args, ()).done()  # no parameters allowed
    countries = tracked()
    etag = make_etag("opml", base_url(), *(c.slug for c in countries))

    def render() -> bytes:
        # The all-countries feed first (the one most readers want), then each country's.
        all_feed = external_url("feeds.get_feed", country=ALL, fmt="rss")
        outlines = [Outline(f"{ALL_NAME}, all countries", all_feed, external_url("web.show_home"))]
        outlines += [
            Outline(c.name, external_url("feeds.get_feed", country=c.slug, fmt="rss"),
                    external_url("web.show_country", country=c.slug))
            for c in countries
        ]
        return render_opml(f"{site_name()}: {ALL_NAME} news feeds", external_url("web.show_home"), outlines)

    return conditional_response(etag, None, render, "text/x-opml; charset=utf-8")
