"""HTML pages: home, country listings, article pages, search."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, current_app, redirect, render_template, request, send_file, url_for
from werkzeug.exceptions import Gone, NotFound
from werkzeug.wrappers import Response as BaseResponse

from config import CountryConfig
from feedsvc.articles import (
    Page,
    article_validators,
    count_by_country,
    get_article,
    is_deleted,
    is_scheduled,
    list_articles,
    list_country_articles,
)
from feedsvc.core.countries import ALL, ALL_NAME, canonical_redirect, find_country, find_scope, tracked
from feedsvc.core.db import get_session
from feedsvc.core.http import conditional_response, public_cache
from feedsvc.core.models import MAX_ID
from feedsvc.core.params import MAX_TAG, TAG
from feedsvc.core.site import logo_file, presentation_blueprint
from feedsvc.core.urls import FEED_TYPES, article_path, country_path, feed_urls, local_url, slugify
from feedsvc.rates import attributions, rate_validators, ticker
from feedsvc.web.formats import body_html, byline
from feedsvc.web.meta import article_meta
from feedsvc.web.page_params import ListingQuery, parse_listing_query, parse_search_query

# Not /static: the app's own (empty) static route is matched first there.
bp = presentation_blueprint("web", __name__, "/assets")
PAGE_CACHE = public_cache(60)
PAGE_TTL = 300  # bounds how long anything not covered by the change marker (base.html) can be stale
FEED_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed"}
SECONDARY = 2  # stories under the lead, with their pictures
LATEST = 5  # headlines beside the lead story
BLOCK_STORIES = 4  # per country block on the home page
MORE_STORIES = 4  # "More from <country>" under an article
bp.add_app_template_filter(byline, "byline")
bp.add_app_template_filter(body_html, "body_html")


def feed_links(country: Any = None, tag: str | None = None) -> list[dict[str, str]]:
    """Autodiscovery links: a tag's feeds (every country, ``?tag=``), else the country's (when given), then
    the all-countries feeds."""
    if tag is not None:
        scopes = [(ALL, f"{ALL_NAME}, tagged {tag}", {"tag": tag}), (ALL, ALL_NAME, {})]
    else:
        scopes = ([(country.slug, country.name, {})] if country is not None else []) + [(ALL, ALL_NAME, {})]
    return [
        {"href": href, "type": FEED_TYPES[fmt], "title": f"{name} ({FEED_NAMES[fmt]})",
         "format": FEED_NAMES[fmt]}
        for slug, name, params in scopes for fmt, href in feed_urls(slug, **params).items()
    ]


def pager(endpoint: str, listing: ListingQuery, params: dict[str, Any] | None = None,
          **view_args: Any) -> Callable[[int], str]:
    """``page_url(n)`` for a listing's links: its parsed parameters with ``page=n``."""
    fixed = {**(params or {}), "per_page": listing.params()["per_page"]}
    return lambda number: local_url(endpoint, {**fixed, "page": number}, **view_args)


@bp.app_context_processor
def inject_site() -> dict[str, Any]:
    """Navigation and feed links for every template that extends base.html."""
    return {"nav_countries": tracked(), "feed_links": feed_links, "article_path": article_path,
            "country_path": country_path, "all_name": ALL_NAME, "all_slug": ALL}


def _check_page(page: Page) -> None:
    # Past the end is a 404 (not an empty 200) so crawlers and readers stop following it.
    if page.page > 1 and not page.items:
        raise NotFound(f"page {page.page} is past the end: there are {page.pages} page(s)")


@dataclass(frozen=True)
class CountryBlock:
    """A country's block on the home page: its newest stories (one with a picture first) and their count."""

    country: CountryConfig
    stories: list[Any]
    count: int


def country_block(session: Any, country: CountryConfig, shown: set[int], leading: set[int],
                  count: int) -> CountryBlock:
    """The newest stories of ``country`` not in ``shown``, led by the newest with a picture that leads no
    other block (a story of two countries would otherwise open both); ``leading`` gets its id."""
    found = list_country_articles(session, country.slug, 1, BLOCK_STORIES + len(shown), teasers=True).items
    stories = [a for a in found if a.id not in shown][:BLOCK_STORIES]
    pictured = [a for a in stories if a.image_url]
    top = next((a for a in pictured if a.id not in leading), pictured[0] if pictured else None)
    if top is not None:
        stories = [top] + [a for a in stories if a is not top]
        leading.add(top.id)
    return CountryBlock(country, stories, count)


@bp.get("/")
def show_home() -> Response:
    """The lead story and two more beside the latest headlines, then a block per country."""
    # The ticker's ETag names the rates' revision and today (a rate turns stale with the date alone).
    etag, _marker = article_validators("home", rate_validators("home")[0])
    return _page_response(etag, render_home, public_cache(0))


def render_home() -> str:
    """The home page: the newest stories, a block per country, the ticker."""
    session = get_session()
    newest = list_articles(session, per_page=1 + SECONDARY + LATEST, teasers=True).items
    top = newest[:1 + SECONDARY]
    counts = count_by_country(session)
    # The top stories are on the page already: a block shows its country's next newest.
    shown = {a.id for a in top}
    leading: set[int] = set()
    blocks = [country_block(session, c, shown, leading, counts.get(c.slug, 0)) for c in tracked()]
    items = ticker()
    return render_template("home.html", lead=top[0] if top else None, secondary=top[1:],
                           latest=newest[len(top):], blocks=blocks, ticker=items,
                           ticker_sources=attributions(*(item.source for item in items)))


def _page_response(etag: str, render: Callable[[], str], cache_control: str = PAGE_CACHE,
                   variant: Hashable = None, last_modified: datetime | None = None) -> Response:
    """A page from the byte cache by its ETag (a 304 when the client has it), rendered on a miss."""
    return conditional_response(etag, last_modified, render, "text/html", cache_control, key=f"page:{etag}",
                                ttl=PAGE_TTL, variant=variant)


@bp.get("/<country>")
def show_country(country: str) -> Response:
    """A country's articles, newest first, paginated ("Viewing results 1 - 20 of 45")."""
    found = find_country(country)
    if found is None:
        raise NotFound(f"no page {country[:64]!r}")
    listing = parse_listing_query(request.args)
    if found.slug != country:
        return canonical_redirect("web.show_country", listing.params(), country=found.slug)
    etag, marker = article_validators("country-page", listing.page, listing.per_page,
                                      scope=find_scope(found.slug))

    def render() -> str:
        page = list_country_articles(get_session(), found.slug, listing.page, listing.per_page, teasers=True)
        _check_page(page)
        return render_country(found, page, listing)

    # Rendered pages are cached like feeds: a hot listing costs one primary-key lookup.
    return _page_response(etag, render, variant=(listing.page, listing.per_page),
                          last_modified=marker.changed_at)


def render_country(country: CountryConfig, page: Page, listing: ListingQuery) -> str:
    """The listing page of one country."""
    return render_template("country.html", country=country, page=page,
                           page_url=pager("web.show_country", listing, country=country.slug))


class Moved(Exception):
    """Raised while building a page whose URL is outdated: answered with a 301 to ``url``."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


@bp.get("/articles/<int:article_id>")
@bp.get("/articles/<int:article_id>/<slug>")
def show_article(article_id: int, slug: str | None = None) -> BaseResponse:
    """One article's page; a missing or outdated slug redirects (301) to the current one.

    A deleted article's page is gone (410), never a redirect to another story; a scheduled one is not
    found (404) until its time.
    """
    # Every article's marker: the page also lists its country's newest ("More from").
    etag, _marker = article_validators("article-page", article_id, slug)
    try:
        return _page_response(etag, lambda: render_article(article_id, slug), public_cache(0))
    except Moved as moved:
        return redirect(moved.url, 301)


def render_article(article_id: int, slug: str | None) -> str:
    """An article's page; Moved when ``slug`` is not its current one, 410 or 404 when it is not shown."""
    session = get_session()
    article = get_article(session, article_id) if article_id <= MAX_ID else None
    if article is None and article_id <= MAX_ID and is_deleted(session, article_id):
        raise Gone(f"article {article_id} was removed")
    if article is None or is_scheduled(article):
        raise NotFound(f"no article with id {article_id}")
    right = slugify(article.title)
    if slug != right:
        raise Moved(url_for("web.show_article", article_id=article_id, slug=right))
    country = find_country(article.countries[0].slug) if article.countries else None
    more = []
    if country is not None:
        newest = list_country_articles(session, country.slug, 1, MORE_STORIES + 1, teasers=True).items
        more = [a for a in newest if a.id != article.id][:MORE_STORIES]
    return render_template("article.html", article=article, country=country, more=more,
                           meta=article_meta(article, country))


@bp.get("/tags/<tag>")
def show_tag(tag: str) -> Response:
    """Articles with one tag, newest first (best first with ``q``), paginated like a country listing."""
    if len(tag) > MAX_TAG or not TAG.fullmatch(tag.lower()):
        raise NotFound(f"no tag {tag[:64]!r}: tags are slugs (a-z, 0-9 and -, at most {MAX_TAG} characters)")
    query = parse_search_query(request.args)
    params = {"q": query.q, "country": query.country}
    if tag != tag.lower():
        return redirect(local_url("web.show_tag", {**params, **query.listing.params()}, tag=tag.lower()), 301)
    etag, _marker = article_validators("tag-page", tag, query)

    def render() -> str:
        page = list_articles(get_session(), tag=tag, country=query.country, q=query.q, teasers=True,
                             page=query.listing.page, per_page=query.listing.per_page)
        if not page.total and not query.q:
            raise NotFound(f"no articles tagged {tag[:64]!r}")
        _check_page(page)
        return render_template("tag.html", tag=tag, page=page, query=query,
                               page_url=pager("web.show_tag", query.listing, params, tag=tag))

    return _page_response(etag, render, public_cache(0), variant=query)


@bp.get("/site/logo")
def show_site_logo() -> Response:
    """The logo file FEEDSVC_SITE_LOGO names in the instance folder (404 when it names none)."""
    path = logo_file(current_app)
    if path is None:
        raise NotFound("this site has no logo file")
    response = send_file(path, conditional=True, max_age=0)
    response.headers["Cache-Control"] = "no-cache"  # revalidated on each use, as the static files
    return response


@bp.get("/search")
def search() -> Response:
    """Articles matching ``q`` (words, "phrases", -exclusions), best first, optionally in one country."""
    query = parse_search_query(request.args)
    etag, _marker = article_validators("search", query)

    def render() -> str:
        page = None
        if query.q:
            page = list_articles(get_session(), country=query.country, q=query.q, teasers=True,
                                 page=query.listing.page, per_page=query.listing.per_page)
            _check_page(page)
        page_url = pager("web.search", query.listing, {"q": query.q, "country": query.country})
        return render_template("search.html", query=query, page=page, page_url=page_url)

    return _page_response(etag, render, public_cache(0), variant=query)
