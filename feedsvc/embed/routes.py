"""Embed routes: widget scripts, iframe pages and the builder."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response as BaseResponse

from feedsvc.articles.schedule import read_articles_marker
from feedsvc.articles.store import list_articles
from feedsvc.countries import ALL, canonical_redirect, find_scope, tracked
from feedsvc.db import get_session
from feedsvc.embed.params import parse_builder_query, parse_headlines_query, parse_ticker_query
from feedsvc.embed.snippets import make_snippets
from feedsvc.http import conditional_response, make_etag
from feedsvc.rates import service
from feedsvc.urls import article_page_url, base_url

bp = Blueprint("embed", __name__, template_folder="templates", static_folder="static",
               static_url_path="/embed/static")

# The iframe pages replace the site-wide CSP: any site may frame them, and they run no script.
FRAME_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors *"
)


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
    query = parse_builder_query(request.args)
    return render_template("embed/builder.html", countries=tracked(), all_slug=ALL, query=query,
                           snippets=make_snippets(query))


@bp.get("/embed/rates")
def show_rates_frame() -> Response:
    """The rates ticker as a frameable page: ``?pairs=KGS/USD,KZT/USD&theme=``."""
    query = parse_ticker_query(request.args)
    etag, modified = service.rate_validators("embed", ",".join(map(str, query.pairs)), query.theme)

    def render() -> str:
        return render_template("embed/rates.html", items=service.ticker(query.pairs), theme=query.theme)

    response = conditional_response(etag, modified, render, "text/html", service.RATES_CACHE)
    response.headers["Content-Security-Policy"] = FRAME_CSP
    return response


@bp.get("/embed/<country>")
def show_headlines_frame(country: str) -> BaseResponse:
    """A country's headlines as a frameable page (``all`` for every country)."""
    scope = find_scope(country)
    if scope is None:
        raise NotFound(f"no country {country[:64]!r}")
    query = parse_headlines_query(request.args)
    if scope.slug != country:  # an ISO code or other spelling: send clients to the canonical URL
        return canonical_redirect("embed.show_headlines_frame", query.params(), country=scope.slug)
    marker = read_articles_marker(scope)
    # Article links are absolute, on FEEDSVC_PUBLIC_URL or else on the host that was asked.
    etag = make_etag("embed-headlines", scope.slug, marker.revision, marker.changed_at.isoformat(), query,
                     base_url())

    def render() -> str:
        slug = scope.country.slug if scope.country else None
        articles = list_articles(get_session(), country=slug, tag=query.tag, per_page=query.limit)
        return render_template("embed/headlines.html", scope=scope, query=query, articles=articles.items,
                               article_url=article_page_url)

    response = conditional_response(etag, marker.changed_at, render, "text/html")
    response.headers["Content-Security-Policy"] = FRAME_CSP
    return response
