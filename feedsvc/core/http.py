"""Conditional GET and caching headers shared by every read endpoint, and security headers."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path

from flask import Flask, Request, Response, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.http import http_date, is_resource_modified, quote_etag

PACKAGE = Path(__file__).parent.parent  # all of feedsvc: code, templates, static files
RENDER_SUFFIXES = {".py", ".html", ".css", ".js", ".png"}  # .png: feeds give the images' byte lengths
# Shared caches (our nginx) keep a public answer 1 s, then revalidate it by ETag (a cheap 304 from the
# app), so a write is served through the proxy within a second; browsers keep their own max-age. A proxy
# may serve its last copy for a day while the app fails (stale-if-error). Why: docs/operations.md, Caching.
SHARED_MAX_AGE = 1
STALE_IF_ERROR = 86400


def public_cache(max_age: int, *extra: str) -> str:
    """A public Cache-Control: ``max_age`` s for browsers, SHARED_MAX_AGE s for shared caches."""
    return ", ".join(("public", f"max-age={max_age}", f"s-maxage={SHARED_MAX_AGE}", *extra,
                      f"stale-if-error={STALE_IF_ERROR}"))


FEED_CACHE = public_cache(300)
CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)
DATA_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"
HSTS = "max-age=31536000"


@functools.cache
def render_version() -> str:
    """A digest of feedsvc's code, templates and static files, taken once per process.

    Part of every ETag (and so of every cache key): a deployment that changes what a response looks
    like changes its ETag, with no constant to remember to bump.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.suffix in RENDER_SUFFIXES and p.is_file()):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def make_etag(*parts: object) -> str:
    """A strong ETag built from the data that determines a response (not from its bytes)."""
    text = "\x1f".join((render_version(), *map(str, parts)))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def conditional_response(
    etag: str,
    last_modified: datetime | None,
    render: Callable[[], bytes | str | Iterable[str] | Iterable[bytes]],
    mimetype: str,
    cache_control: str = FEED_CACHE,
    cors: bool = False,
) -> Response:
    """Answer 304 when the client's copy is current, otherwise call ``render`` and answer 200.

    ``mimetype`` may be a bare type (a charset is added to text types) or a full content type.
    """
    modified = is_resource_modified(request.environ, etag=etag, last_modified=last_modified)
    # Header values written directly: this runs on every feed and rate request, most of them 304s.
    headers = [("ETag", quote_etag(etag)), ("Cache-Control", cache_control), ("Vary", "Accept-Encoding")]
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    if cors:
        headers.append(("Access-Control-Allow-Origin", "*"))
    if not modified:
        # werkzeug strips the type from a 304 when it is sent; giving it here picks the page or data CSP.
        return Response(status=304, headers=headers, mimetype=mimetype.split(";")[0])
    if ";" in mimetype:  # a full content type, e.g. "application/feed+json; charset=utf-8"
        return Response(render(), headers=headers, content_type=mimetype)
    return Response(render(), headers=headers, mimetype=mimetype)


def security_headers(production: bool) -> Callable[[Response], Response]:
    """An after-request hook: nosniff, a referrer policy, a CSP, no framing; HSTS in production.

    HTML pages get the site's CSP. Everything else (feeds, OPML, JSON, CSV, scripts, errors) is data that
    must never run as a page: its CSP allows nothing. A view that set its own CSP keeps it and decides
    its own framing (the embed iframe pages send ``frame-ancestors *``). The lists are built once: this
    runs on every response, most of them 304s.
    """
    common = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin")]
    if production:
        common.append(("Strict-Transport-Security", HSTS))
    page = [*common, ("Content-Security-Policy", CSP), ("X-Frame-Options", "SAMEORIGIN")]
    data = [*common, ("Content-Security-Policy", DATA_CSP), ("X-Frame-Options", "DENY")]

    def add_headers(response: Response) -> Response:
        headers = response.headers
        if "Content-Security-Policy" in headers:
            headers.extend(common)
        else:
            headers.extend(page if response.mimetype == "text/html" else data)
        return response

    return add_headers


class NoSessions(SessionInterface):
    """feedsvc sets no cookies: skip Flask's signed-cookie session machinery on every request."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin:
        """Always the null session (writing to it raises)."""
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Nothing to save."""


def init_app(app: Flask) -> None:
    """Send security headers on every response; keep no cookie sessions."""
    app.session_interface = NoSessions()
    app.after_request(security_headers(app.config["ENV"] == "production"))
