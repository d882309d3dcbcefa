"""Embed routes: widget scripts, iframe pages and the builder."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from feedsvc.articles.store import list_articles, list_countries
from feedsvc.db import get_session
from feedsvc.embed.params import parse_builder_query, parse_headlines_query, parse_theme
from feedsvc.embed.scope import headlines_scope
from feedsvc.embed.snippets import make_snippets
from feedsvc.http import conditional_response, make_etag
from feedsvc.rates.params import parse_rate_query
from feedsvc.rates.query import select_latest
from feedsvc.rates.routes import RATES_CACHE, rate_validators, served_sources, tracked_currencies
from feedsvc.web.ticker import make_ticker_item
from feedsvc.web.urls import article_page_url

bp = Blueprint("embed", __name__, template_folder="templates", static_folder="static",
               static_url_path="/embed/static")

# The iframe pages replace the site-wide CSP: any site may frame them, and they run no script.
FRAME_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors *"
)
# Bump when the widget templates change, so caches drop pages rendered by the old ones.
TEMPLATE_VERSION = "2"


def _script_response(name: str) -> Response:
    """A widget script with a content ETag, CORS and a five-minute public cache."""
    with bp.open_resource(f"static/{name}") as handle:
        data = handle.read()
    etag = make_etag("embed-script", name, data.decode("utf-8"))
    response = conditional_response(etag, None, lambda: data, "application/javascript", cors=True)
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/embed/v1/headlines.js")
def get_headlines_script() -> Response:
    """The headlines widget script (public, stable URL)."""
    return _script_response("headlines.js")


@bp.get("/embed/v1/rates.js")
def get_rates_script() -> Response:
    """The rates ticker script (public, stable URL)."""
    return _script_response("rates.js")


@bp.get("/embed")
def show_builder() -> str:
    """The builder: pick a country and options, preview, copy a snippet."""
    countries = list_countries(get_session())
    query = parse_builder_query(request.args, [c.slug for c in countries] + ["all"])
    return render_template(
        "embed/builder.html", countries=countries, query=query,
        snippets=make_snippets(query),
    )


@bp.get("/embed/rates")
def show_rates() -> Response:
    """The rates ticker as a frameable page: ``?pairs=KGS/USD,KZT/USD&theme=``."""
    theme = parse_theme(request.args)
    query = parse_rate_query(request.args, tracked_currencies(), tuple(current_app.config["RATES_SOURCES"]),
                             ("pairs", "theme"))
    session = get_session()
    sources = served_sources(query)
    etag, modified = rate_validators(session, "embed", TEMPLATE_VERSION, query.cache_key(), theme)

    def render() -> str:
        items = [make_ticker_item(row) for row in select_latest(session, query.pairs, sources)]
        return render_template("embed/rates.html", items=items, theme=theme)

    response = conditional_response(etag, modified, render, "text/html", RATES_CACHE)
    response.headers["Content-Security-Policy"] = FRAME_CSP
    return response


@bp.get("/embed/<country>")
def show_headlines(country: str) -> BaseResponse:
    """A country's headlines as a frameable page (``all`` for every country)."""
    query = parse_headlines_query(request.args)
    session = get_session()
    scope = headlines_scope(session, country)
    if scope is None:
        abort(404, description=f"no country {country[:64]!r}")
    if scope.slug != country:  # an ISO code or other spelling: send clients to the canonical URL
        return redirect(url_for("embed.show_headlines", country=scope.slug, **request.args), 301)
    # Article links are absolute, on FEEDSVC_PUBLIC_URL or else on the host that was asked.
    base = current_app.config.get("PUBLIC_URL") or request.host_url
    etag = make_etag("embed-headlines", TEMPLATE_VERSION, scope.slug, scope.revision, query, base)

    def render() -> str:
        articles = list_articles(session, country=scope.filter, tag=query.tag, per_page=query.limit)
        return render_template("embed/headlines.html", scope=scope, query=query, articles=articles.items,
                               article_url=article_page_url)

    response = conditional_response(etag, scope.changed_at, render, "text/html")
    response.headers["Content-Security-Policy"] = FRAME_CSP
    return response
