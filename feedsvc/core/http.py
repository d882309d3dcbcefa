"""Conditional GET and caching shared by every read endpoint; security and CORS headers on every answer."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.exceptions import PreconditionFailed
from werkzeug.http import http_date, is_resource_modified, quote_etag

from feedsvc.core.cache import cached_bytes

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
# Paths whose every answer any origin may read (and JSON Feeds: /feeds/<country>.json). The RSS and Atom
# feeds, OPML, pages and /api are not needed by scripts elsewhere, so they stay same-origin.
CROSS_ORIGIN_PREFIXES = ("/rates.", "/rates/", "/embed/v1", "/oembed")


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


# A cached answer that carries headers of its own (the API's Link) starts with this, which no body does.
WITH_HEADERS = b"\x00headers\n"


@dataclass(frozen=True)
class Answer:
    """A built body with headers that belong to it (not to every answer of the endpoint): ``Link``."""

    body: bytes
    headers: dict[str, str]

    def pack(self) -> bytes:
        """The bytes the byte cache keeps: the headers as a JSON line, then the body."""
        return WITH_HEADERS + json.dumps(self.headers).encode() + b"\n" + self.body


def unpack(value: bytes) -> Answer | bytes:
    """The answer kept as ``value``: a packed Answer, or the bare body."""
    if not value.startswith(WITH_HEADERS):
        return value
    headers, _, body = value[len(WITH_HEADERS):].partition(b"\n")
    return Answer(body, json.loads(headers))


def conditional_response(
    etag: str,
    last_modified: datetime | None,
    build: Callable[[], Answer | bytes | str | Iterable[str] | Iterable[bytes]],
    mimetype: str,
    cache_control: str = FEED_CACHE,
    *,
    key: str | None = None,
    ttl: int = 86400,
    last_known: bool = False,
    variant: Hashable = None,
    worth_keeping: Callable[[], bool] | None = None,
) -> Response:
    """A GET's answer from its validators: a 304, the cached bytes, or ``build()``'s (stored first).

    The contract every read view relies on:

    - ``etag`` (from ``make_etag``) names all that the answer depends on, so it is known before anything
      is built; a client whose If-None-Match holds it, or whose If-Modified-Since is not older than
      ``last_modified``, gets a 304 and ``build`` never runs.
    - Without ``key``, ``build()`` is the body (bytes, text, or chunks to stream).
    - With ``key`` (say ``f"feed:{etag}"``), ``build()`` returns bytes, which the byte cache (Redis or
      in-process) keeps ``ttl`` seconds under ``key``: the next client with no copy gets them unbuilt.
      It may return an ``Answer`` instead: its headers are kept and sent with its bytes.
      A request for an unknown host builds without storing, and so does one past the endpoint's bounds:
      ``variant`` names the request's parsed parameters (at most ``cache.MAX_VARIANTS`` are kept per
      endpoint) and ``worth_keeping`` may refuse an answer no one else will ask for (``cache.cached_bytes``).
    - With ``last_known`` too, a freshly built 200 becomes the URL's last known answer: while the database
      is down, that copy (or a 304 for it) is answered instead of a 503 (``errors.handle_database_outage``).
    - Headers: ETag, Last-Modified (when given), ``cache_control``, Vary: Accept-Encoding and the type;
      ``mimetype`` is a bare type (text types get a charset) or a full content type. CORS and the
      security headers are added by the app to every answer (``init_app``); a view may add its own
      (Content-Disposition) to the response returned.
    - ``build`` runs in the request: it may query, build URLs or raise an HTTP error (nothing is stored).
    """
    modified = is_resource_modified(request.environ, etag=etag, last_modified=last_modified)
    # Header values written directly: this runs on every feed and rate request, most of them 304s.
    headers = [("ETag", quote_etag(etag)), ("Cache-Control", cache_control), ("Vary", "Accept-Encoding")]
    if last_modified is not None:
        headers.append(("Last-Modified", http_date(last_modified)))
    if not modified:
        if "If-Match" in request.headers:  # werkzeug's "not modified" for an If-Match naming another version
            raise PreconditionFailed()
        # werkzeug strips the type from a 304 when it is sent; giving it here picks the page or data CSP.
        return Response(status=304, headers=headers, mimetype=mimetype.split(";")[0])
    body = build() if key is None else unpack(cached_bytes(
        key, lambda: _packed(build()), ttl, last_known, variant=variant, worth_keeping=worth_keeping))
    if isinstance(body, Answer):
        headers.extend(body.headers.items())
        body = body.body
    if ";" in mimetype:  # a full content type, e.g. "application/feed+json; charset=utf-8"
        return Response(body, headers=headers, content_type=mimetype)
    return Response(body, headers=headers, mimetype=mimetype)


def json_bytes(data: object) -> bytes:
    """``data`` as the bytes ``jsonify`` sends (the app's JSON provider), for answers kept as bytes."""
    return current_app.json.response(data).get_data()


def _packed(built: object) -> bytes:
    """What the byte cache keeps of a build: its bytes (text encoded), or an Answer packed."""
    if isinstance(built, Answer):
        return built.pack()
    return built.encode() if isinstance(built, str) else built  # type: ignore[return-value]


def is_cross_origin_readable(path: str) -> bool:
    """True where other sites' scripts read the answers: JSON Feeds, rate data, the widgets' files, oEmbed."""
    return path.startswith(CROSS_ORIGIN_PREFIXES) or (path.startswith("/feeds/") and path.endswith(".json"))


def allow_cross_origin_reads(response: Response) -> Response:
    """An after-request hook: ``Access-Control-Allow-Origin: *`` on every answer of a cross-origin path.

    Errors, 304s and redirects too, so that a widget on another site can read why its request failed and
    follow a canonical redirect. These answers are public and no request carries cookies.
    """
    if is_cross_origin_readable(request.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def page_csp(frame_hosts: Sequence[str]) -> str:
    """The pages' CSP: the site's own resources, and frames of its own or from the allowed embed hosts."""
    if not frame_hosts:
        return CSP
    sources = " ".join(f"https://{host} https://*.{host}" for host in frame_hosts)
    return f"{CSP}; frame-src 'self' {sources}"


def security_headers(production: bool, frame_hosts: Sequence[str] = ()) -> Callable[[Response], Response]:
    """An after-request hook: nosniff, a referrer policy, a CSP, no framing; HSTS in production.

    HTML pages get the site's CSP. Everything else (feeds, OPML, JSON, CSV, scripts, errors) is data that
    must never run as a page: its CSP allows nothing. A view that set its own CSP keeps it and decides
    its own framing (the embed iframe pages send ``frame-ancestors *``). The lists are built once: this
    runs on every response, most of them 304s.
    """
    common = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "strict-origin-when-cross-origin")]
    if production:
        common.append(("Strict-Transport-Security", HSTS))
    page = [*common, ("Content-Security-Policy", page_csp(frame_hosts)), ("X-Frame-Options", "SAMEORIGIN")]
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
    """Send security headers on every response, CORS on cross-origin paths; keep no cookie sessions."""
    app.session_interface = NoSessions()
    app.after_request(security_headers(app.config["ENV"] == "production", app.config.get("EMBED_HOSTS", ())))
    app.after_request(allow_cross_origin_reads)
