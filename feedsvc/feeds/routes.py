"""Feed routes: /feeds/<country>.rss|.atom|.json, /feeds.opml."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, redirect, request, url_for
from werkzeug.exceptions import NotFound

from feedsvc.cache import cached_bytes
from feedsvc.db import get_session
from feedsvc.feeds.build import CONTENT_TYPES, base_url, build_feed, feed_etag, marker_reader
from feedsvc.feeds.opml import Outline, render_opml
from feedsvc.feeds.params import FORMATS, find_country, parse_feed_query
from feedsvc.feeds.queries import ALL
from feedsvc.http import conditional_response, make_etag
from feedsvc.web.urls import external_url

bp = Blueprint("feeds", __name__)
ALL_NAME = "Central Asia"


def _feed_scope(country: str) -> tuple[str, str]:
    """The canonical slug and display name of a feed's country (or ``all``); 404 when unknown."""
    if country.lower() == ALL:
        return ALL, ALL_NAME
    found = find_country(current_app.config["COUNTRIES"], country)
    if found is None:
        raise NotFound(f"unknown country {country[:64]!r}")
    return found.slug, found.name


@bp.get("/feeds/<country>.<fmt>")
def get_feed(country: str, fmt: str) -> Response:
    """A country's (or ``all``) newest articles as RSS, Atom or JSON Feed, with conditional GET."""
    if fmt not in FORMATS:
        raise NotFound(f"unknown feed format {fmt[:20]!r}; use one of {', '.join(FORMATS)}")
    slug, name = _feed_scope(country)
    if slug != country:  # an ISO code, or another case
        args = request.args.to_dict(flat=False)
        response = redirect(url_for("feeds.get_feed", country=slug, fmt=fmt, **args), 301)
        response.headers["Access-Control-Allow-Origin"] = "*"  # so a widget's fetch may follow it
        return response
    query = parse_feed_query(request.args)
    state = marker_reader().read(slug)
    etag = feed_etag(state, fmt, query)
    return conditional_response(
        etag, state.changed_at,
        lambda: cached_bytes(f"feed:{etag}", lambda: build_feed(get_session(), slug, name, fmt, query,
                                                                 state)),
        CONTENT_TYPES[fmt], cors=fmt == "json",
    )


@bp.get("/feeds.opml")
def get_opml() -> Response:
    """Every country's feed in one OPML 2.0 file, for one-click subscription."""
    countries = current_app.config["COUNTRIES"]
    etag = make_etag("opml", base_url(), *(c.slug for c in countries))

    def render() -> bytes:
        outlines = [
            Outline(c.name, external_url("feeds.get_feed", country=c.slug, fmt="rss"),
                    external_url("web.show_country", country=c.slug))
            for c in countries
        ]
        return render_opml("feedsvc: Central Asia news feeds", external_url("web.show_home"), outlines)

    return conditional_response(etag, None, render, "text/x-opml; charset=utf-8")
