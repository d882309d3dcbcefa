"""Absolute URLs (FEEDSVC_PUBLIC_URL when set, else the request's), slugs, and the feed formats."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import current_app, has_request_context, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.security import safe_join

# Where `feedsvc run` serves by default: also the base of absolute URLs a command builds outside a request
# when FEEDSVC_PUBLIC_URL is not set.
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
DEFAULT_ROOT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
# The feed formats, as in /feeds/<country>.<format>, with their media types.
FEED_TYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml", "json": "application/feed+json"}
# Kept per request (see _kept): the routes of article pages, the paths of country listings, the root.
ARTICLE_URLS, ARTICLE_PATHS = "feedsvc.article_urls", "feedsvc.article_paths"
COUNTRY_PATHS, SITE_ROOT = "feedsvc.country_paths", "feedsvc.site_root"


def slugify(text: str, max_length: int = 80) -> str:
    """A URL slug of a title (ASCII letters and digits joined by hyphens)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "article"


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute URL of ``endpoint``, based on FEEDSVC_PUBLIC_URL when it is set."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def local_url(endpoint: str, params: Mapping[str, Any], **view_args: Any) -> str:
    """The path of ``endpoint`` with a query string of ``params`` (None and "" left out).

    Views build links from their parsed query, never from the raw request's names: those would
    reach ``url_for``'s own arguments (``_external``, ``_scheme``, ...).
    """
    path = url_for(endpoint, **view_args)
    query = urlencode({name: value for name, value in params.items() if value is not None and value != ""})
    return f"{path}?{query}" if query else path


def article_page_url(article: Any) -> str:
    """The absolute URL of an article's page: /articles/<id>/<slug> (its route built once per request)."""
    return _kept(ARTICLE_URLS, lambda: _article_route(external_url))(article)


def article_path(article: Any) -> str:
    """The path of an article's page, for links within the site (its route built once per request)."""
    return _kept(ARTICLE_PATHS, lambda: _article_route(url_for))(article)


def country_path(slug: str) -> str:
    """The path of a country's listing, for links within the site (each built once per request)."""
    paths: dict[str, str] = _kept(COUNTRY_PATHS, dict)
    path = paths.get(slug)
    if path is None:
        path = paths[slug] = url_for("web.show_country", country=slug)
    return path


def article_page_url_builder() -> Callable[[Any], str]:
    """``article_page_url`` for thousands of articles: the route is built once, then only formatted."""
    return _article_route(external_url)


def _kept(name: str, make: Callable[[], Any]) -> Any:
    """What ``make`` returns, made once per request; made anew outside one (a command, a job).

    Kept in the request's WSGI environ, not flask.g: a test's outer app context (and its g) may span
    requests to several hosts.
    """
    if not has_request_context():
        return make()
    store = request.environ
    if name not in store:
        store[name] = make()
    return store[name]


def _article_route(make: Callable[..., str]) -> Callable[[Any], str]:
    # Building a route costs 5-12 µs (url_for, external_url), formatting one ~1 µs, for each of a page's
    # links and each of a sitemap file's 1,000 URLs. Ids and slugs need no quoting.
    sample_id, sample_slug = 987654321, "sample-slug"
    sample = make("web.show_article", article_id=sample_id, slug=sample_slug)
    head, _, rest = sample.partition(f"/{sample_id}/")
    _, _, tail = rest.partition(sample_slug)
    return lambda article: f"{head}/{article.id}/{slugify(article.title)}{tail}"


def root_url() -> str:
    """The site's root, no trailing slash: FEEDSVC_PUBLIC_URL, else the request's, else DEFAULT_ROOT_URL."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public
    return request.root_url.rstrip("/") if has_request_context() else DEFAULT_ROOT_URL


def base_url() -> str:
    """The absolute base every URL in a response starts with (part of ETags and cache keys)."""
    # Not request.host_url: it re-encodes the whole URL, a tenth of a 304's time.
    return current_app.config.get("PUBLIC_URL") or f"{request.scheme}://{request.host}/"


# A path on this site: one "/" first. "//host" and "/\\host" are other hosts to a browser.
_SITE_PATH = re.compile(r"/(?![/\\])")


def is_site_path(value: str) -> bool:
    """True for a path on this site (``/assets/demo/x.png``), as articles may store for images and links."""
    return _SITE_PATH.match(value) is not None


def site_root() -> str:
    """The site's root as a base for its stored paths: :func:`root_url` with its trailing "/" (once per
    request: each article of a page asks for it twice)."""
    return _kept(SITE_ROOT, lambda: f"{root_url()}/")


def site_url(value: str | None) -> str | None:
    """A stored URL as readers get it: a path on this site absolute on :func:`site_root`; others as stored.

    Articles store their own site's images as paths, so one database serves any host, port or proxy path.
    """
    if value and is_site_path(value):
        return site_root() + value[1:]
    return value


def served_file(path: str) -> Path | None:
    """The file a static route serves at the site path ``path`` (``/assets/demo/x.png``), or None."""
    try:
        endpoint, args = current_app.url_map.bind("localhost").match(path.split("?")[0], method="GET")
    except HTTPException:
        return None
    if endpoint != "static" and not endpoint.endswith(".static"):
        return None
    owner = current_app.blueprints[endpoint[:-7]] if endpoint != "static" else current_app
    found = safe_join(owner.static_folder, args["filename"]) if owner.static_folder else None
    return Path(found) if found and Path(found).is_file() else None


def feed_urls(slug: str, **params: Any) -> dict[str, str]:
    """The absolute URL of a country's (or ``all``) feed in each format."""
    return {fmt: external_url("feeds.get_feed", country=slug, fmt=fmt, **params) for fmt in FEED_TYPES}
