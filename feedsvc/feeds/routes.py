"""Feed routes: /feeds/<country>.rss|.atom|.json; /feeds.opml (every country), /feeds/all.opml (all)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, request
from werkzeug.exceptions import NotFound

from feedsvc.articles import read_articles_marker, tag_exists
from feedsvc.core.countries import ALL, ALL_NAME, canonical_redirect, find_scope, tracked
from feedsvc.core.db import get_session
from feedsvc.core.http import conditional_response, make_etag
from feedsvc.core.params import QueryParams
from feedsvc.core.site import site_identity
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
    """Every country's feed, one outline each, in an OPML 2.0 file: subscribe to every country at once.

    The all-countries feed is its own document (``/feeds/all.opml``): listed here too, every story of two
    countries or more would reach a reader that keeps both subscriptions several times.
    """
    countries = tracked()

    def outlines() -> list[Outline]:
        return [Outline(c.name, external_url("feeds.get_feed", country=c.slug, fmt="rss"),
                        external_url("web.show_country", country=c.slug)) for c in countries]

    return _opml_response("opml-countries", f"{site_identity().name}: every country", outlines,
                          *(c.slug for c in countries))


@bp.get("/feeds/all.opml")
def get_all_opml() -> Response:
    """The all-countries feed as a one-outline OPML 2.0 file: everything, each story once."""
    def outlines() -> list[Outline]:
        return [Outline(f"{ALL_NAME}, all countries", external_url("feeds.get_feed", country=ALL, fmt="rss"),
                        external_url("web.show_home"))]

    return _opml_response("opml-all", f"{site_identity().name}: everything", outlines)


def _opml_response(kind: str, title: str, outlines: Callable[[], list[Outline]], *facts: str) -> Response:
    """An OPML document with conditional GET; ``outlines`` is called only for a 200."""
    QueryParams(request.args, ()).done()  # no parameters allowed
    etag = make_etag(kind, base_url(), title, *facts)

    def render() -> bytes:
        return render_opml(title, external_url("web.show_home"), outlines())

    return conditional_response(etag, None, render, "text/x-opml; charset=utf-8")
