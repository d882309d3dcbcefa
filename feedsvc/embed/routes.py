"""Embed routes: widget scripts, iframe pages and the builder."""

from __future__ import annotations

from flask import Response, render_template, request, url_for
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.exceptions import NotImplemented as FormatNotOffered
from werkzeug.wrappers import Response as BaseResponse

from feedsvc.articles import (
    article_validators,
    get_article,
    is_scheduled,
    list_articles,
)
from feedsvc.core.countries import ALL, canonical_redirect, find_scope, tracked
from feedsvc.core.db import get_session
from feedsvc.core.errors import handle_http_exception
from feedsvc.core.http import conditional_response, json_bytes, make_etag, public_cache
from feedsvc.core.models import MAX_ID
from feedsvc.core.site import presentation_blueprint
from feedsvc.core.urls import article_page_url
from feedsvc.embed import oembed
from feedsvc.embed.layout import headlines_height, ticker_height
from feedsvc.embed.params import (
    MAX_LIMIT,
    THEMES,
    TickerChoice,
    parse_builder_query,
    parse_card_query,
    parse_headlines_query,
    parse_ticker_query,
)
from feedsvc.embed.scripts import script_source
from feedsvc.embed.snippets import make_snippets, ticker_frame_url, ticker_pairs, ticker_rows
from feedsvc.rates import RATES_CACHE, attributions, pair_currencies, rate_validators, ticker

bp = presentation_blueprint("embed", __name__, "/embed/static")

# The iframe pages replace the site-wide CSP: any site may frame them; their only script is our own
# height reporter (static/height.js).
FRAME_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors *"
)
# An article card shows the article's image, which may live on another host (https).
CARD_CSP = FRAME_CSP.replace("img-src 'self'", "img-src 'self' https:")
FRAME_ENDPOINTS = ("embed.show_rates_frame", "embed.show_headlines_frame", "embed.show_card_frame")


def _script_response(name: str) -> Response:
    """A widget script with a content ETag and a five-minute public cache."""
    source = script_source(name)
    etag = make_etag("embed-script", name, source)
    response = conditional_response(etag, None, lambda: source, "application/javascript")
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


@bp.get("/embed/v1/frame.js")
def get_frame_script() -> Response:
    """The host-side loader that sizes our iframes to their content (public, stable URL)."""
    return _script_response("frame.js")


@bp.get("/embed/v1/options.json")
def get_widget_options() -> Response:
    """What the widgets' ``data-*`` attributes accept, for their messages about a mistake."""
    options = {"countries": [c.slug for c in tracked()] + [ALL], "currencies": pair_currencies(),
               "limit": {"min": 1, "max": MAX_LIMIT}, "themes": list(THEMES)}
    etag = make_etag("embed-options", options)  # its content: the stored codes (a new currency) move it
    return conditional_response(etag, None, lambda: json_bytes(options), "application/json",
                                public_cache(300), key=f"embed:{etag}")


@bp.get("/oembed")
def get_oembed() -> Response:
    """The oEmbed provider: ``?url=<our page or embed>&format=json&maxwidth=&maxheight=``."""
    query = oembed.parse_oembed_query(request.args)
    if query.format != "json":  # the spec's answer to a format a provider does not offer
        raise FormatNotOffered(f"format {query.format[:16]!r} is not offered; use format=json")
    # An article's card names its title and picture: every article's marker versions the answer.
    etag, _marker = article_validators("oembed", query)

    def render() -> bytes:
        target = oembed.resolve(query.url)
        if target is None:
            raise NotFound("not an embeddable page of this site: a country, article or rates page, "
                           "or /embed/...")
        return json_bytes(oembed.oembed_answer(target, query))

    return conditional_response(etag, None, render, "application/json", public_cache(oembed.CACHE_AGE),
                                key=f"embed:{etag}", variant=query)


@bp.app_context_processor
def inject_oembed_discovery() -> dict[str, object]:
    """``oembed_discovery()`` for base.html: the discovery link of an embeddable page."""
    return {"oembed_discovery": oembed.discovery_link}


@bp.errorhandler(HTTPException)
def show_frame_error(exc: HTTPException) -> Response:
    """A mistake in an iframe's URL, shown inside the frame (which the site's error page may not be)."""
    if request.endpoint not in FRAME_ENDPOINTS or exc.code not in (400, 404):
        return handle_http_exception(exc)
    page = render_template("embed/mistake.html", status=exc.code, name=exc.name, message=exc.description,
                           theme="auto")
    response = Response(page, exc.code, mimetype="text/html")
    response.headers["Content-Security-Policy"] = FRAME_CSP
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/embed")
def show_builder() -> str:
    """The builder: pick a country and options, preview, copy a snippet."""
    query = parse_builder_query(request.args)
    pairs = ticker_pairs(query.ticker)
    heights = {"headlines": headlines_height(query.options.limit),
               "ticker": ticker_height(ticker_rows(pairs))}
    offers = {slug: ticker_pairs(TickerChoice(slug)) for slug in [c.slug for c in tracked()] + [ALL]}
    return render_template("embed/builder.html", countries=tracked(), all_slug=ALL, query=query,
                           snippets=make_snippets(query), heights=heights, offers=offers,
                           ticker_pairs=",".join(map(str, pairs)),
                           ticker_frame=ticker_frame_url(pairs, query.options.theme, url_for))


@bp.get("/embed/rates")
def show_rates_frame() -> Response:
    """The rates ticker as a frameable page: ``?pairs=KGS/USD,KZT/USD&theme=``."""
    query = parse_ticker_query(request.args)
    etag, modified = rate_validators("embed", ",".join(map(str, query.pairs)), query.theme)

    def render() -> str:
        items = ticker(query.pairs)
        return render_template("embed/rates.html", items=items, theme=query.theme,
                               sources=attributions(*(item.source for item in items)))

    response = conditional_response(etag, modified, render, "text/html", RATES_CACHE, key=f"embed:{etag}",
                                    variant=query)
    response.headers["Content-Security-Policy"] = FRAME_CSP
    return response


@bp.get("/embed/articles/<int:article_id>")
def show_card_frame(article_id: int) -> Response:
    """One article as a frameable card (picture, title, summary, link): what oEmbed answers for its page."""
    theme = parse_card_query(request.args)
    etag, _marker = article_validators("embed-card", article_id, theme)

    def render() -> str:
        article = get_article(get_session(), article_id) if article_id <= MAX_ID else None
        if article is None or is_scheduled(article):
            raise NotFound(f"no article with id {article_id}")
        country = article.countries[0].name if article.countries else None
        return render_template("embed/card.html", article=article, country=country, theme=theme,
                               url=article_page_url(article))

    response = conditional_response(etag, None, render, "text/html", public_cache(300), key=f"embed:{etag}")
    response.headers["Content-Security-Policy"] = CARD_CSP
    return response


@bp.get("/embed/<country>")
def show_headlines_frame(country: str) -> BaseResponse:
    """A country's headlines as a frameable page (``all`` for every country)."""
    scope = find_scope(country)
    if scope is None:
        allowed = ", ".join([c.slug for c in tracked()] + [ALL])
        raise NotFound(f"country: no country {country[:64]!r}; allowed: {allowed}")
    query = parse_headlines_query(request.args)
    if scope.slug != country:  # an ISO code or other spelling: send clients to the canonical URL
        return canonical_redirect("embed.show_headlines_frame", query.params(), country=scope.slug)
    # Article links are absolute, on FEEDSVC_PUBLIC_URL or else on the host that was asked.
    etag, marker = article_validators("embed-headlines", query, scope=scope)

    def render() -> str:
        slug = scope.country.slug if scope.country else None
        articles = list_articles(get_session(), country=slug, tag=query.tag, per_page=query.limit,
                                 teasers=True)
        return render_template("embed/headlines.html", scope=scope, query=query, articles=articles.items,
                               article_url=article_page_url)

    response = conditional_response(etag, marker.changed_at, render, "text/html", key=f"embed:{etag}",
                                    variant=query)
    response.headers["Content-Security-Policy"] = FRAME_CSP
    return response
