"""HTML pages: home, country listings, article pages, search."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from feedsvc.articles.store import Page, count_by_country, get_article, list_articles
from feedsvc.cache import cached_bytes
from feedsvc.db import get_session
from feedsvc.feeds.build import base_url, marker_reader
from feedsvc.feeds.params import FORMATS, find_country
from feedsvc.feeds.queries import list_country_articles
from feedsvc.http import conditional_response, make_etag
from feedsvc.web.page_params import parse_listing_query, parse_search_query
from feedsvc.web.ticker import get_ticker
from feedsvc.web.urls import external_url, slugify

# Not /static: the app's own (empty) static route is matched first there.
bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")
PAGE_CACHE = "public, max-age=60"
# Part of a listing's ETag and cache key: bump it when templates change what a listing page looks like.
PAGE_VERSION = 1
PAGE_TTL = 300  # bounds how long anything not covered by the change marker (base.html) can be stale
MAX_ID = 2**31 - 1  # larger ids can't exist; asking the database would overflow its integer
FEED_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
FEED_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}


def feed_links(country: Any = None) -> list[dict[str, str]]:
    """Autodiscovery links: the country's feeds (when given) and then the all-countries feeds."""
    scopes = ([(country.slug, country.name)] if country is not None else []) + [("all", "Central Asia")]
    return [
        {"href": external_url("feeds.get_feed", country=slug, fmt=fmt), "type": FEED_TYPES[fmt],
         "title": f"{name} ({FEED_NAMES[fmt]})", "format": FEED_NAMES[fmt]}
        for slug, name in scopes for fmt in FORMATS
    ]


def page_url(number: int) -> str:
    """The current page's URL with ``page=number``, keeping the other parameters."""
    args: dict[str, Any] = {**request.args.to_dict(), "page": number, **(request.view_args or {})}
    return url_for(request.endpoint or "web.show_home", **args)


@bp.app_context_processor
def inject_site() -> dict[str, Any]:
    """Navigation and feed links for every template that extends base.html."""
    return {"nav_countries": current_app.config["COUNTRIES"], "feed_links": feed_links,
            "page_url": page_url, "slugify": slugify}


def _check_page(page: Page) -> None:
    # Past the end is a 404 (not an empty 200) so crawlers and readers stop following it.
    if page.page > 1 and not page.items:
        raise NotFound(f"page {page.page} is past the end: there are {page.pages} page(s)")


@bp.get("/")
def show_home() -> str:
    """Countries with article counts and feed links, and the latest headlines."""
    session = get_session()
    return render_template(
        "home.html",
        countries=current_app.config["COUNTRIES"],
        counts=count_by_country(session),
        latest=list_articles(session, per_page=10).items,
        ticker=get_ticker(session, current_app.config),
    )


@bp.get("/<country>")
def show_country(country: str) -> Response:
    """A country's articles, newest first, paginated ("Viewing results 1 - 20 of 45")."""
    found = find_country(current_app.config["COUNTRIES"], country)
    if found is None:
        raise NotFound(f"no page {country[:64]!r}")
    if found.slug != country:
        return redirect(url_for("web.show_country", country=found.slug, **request.args.to_dict()), 301)
    listing = parse_listing_query(request.args)
    state = marker_reader().read(found.slug)
    etag = make_etag("country-page", PAGE_VERSION, state.revision, state.changed_at.isoformat(), found.slug,
                     listing.page, listing.per_page, base_url())

    def render() -> bytes:
        page = list_country_articles(get_session(), found.slug, listing.page, listing.per_page)
        _check_page(page)
        html = render_template("country.html", country=found, page=page)
        return html.encode("utf-8")

    # Rendered pages are cached like feeds: a hot listing costs one primary-key lookup.
    return conditional_response(etag, state.changed_at,
                                lambda: cached_bytes(f"page:{etag}", render, PAGE_TTL),
                                "text/html", cache_control=PAGE_CACHE)


@bp.get("/articles/<int:article_id>")
@bp.get("/articles/<int:article_id>/<slug>")
def show_article(article_id: int, slug: str | None = None) -> Response | str:
    """One article's page; a missing or outdated slug redirects (301) to the current one."""
    article = get_article(get_session(), article_id) if article_id <= MAX_ID else None
    if article is None:
        raise NotFound(f"no article with id {article_id}")
    right = slugify(article.title)
    if slug != right:
        return redirect(url_for("web.show_article", article_id=article_id, slug=right), 301)
    country = find_country(current_app.config["COUNTRIES"], article.countries[0].slug) \
        if article.countries else None
    return render_template("article.html", article=article, country=country)


@bp.get("/search")
def search() -> str:
    """Articles whose title, summary or text contain every word of ``q``, optionally in one country."""
    query = parse_search_query(request.args, current_app.config["COUNTRIES"])
    page = None
    if query.q:
        page = list_articles(get_session(), country=query.country, q=query.q,
                             page=query.listing.page, per_page=query.listing.per_page)
        _check_page(page)
    return render_template("search.html", query=query, page=page)
