"""Conditional GET and caching headers shared by every read endpoint, and security headers."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from datetime import datetime

from flask import Flask, Response, request
from werkzeug.http import is_resource_modified

FEED_CACHE = "public, max-age=300"
CSP = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)


def make_etag(*parts: object) -> str:
    """A strong ETag built from the data that determines a response (not from its bytes)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


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
    if not modified:
        # The type is stripped from a 304 by werkzeug; giving it keeps HTML-only headers (CSP) off.
        response = Response(status=304, mimetype=mimetype.split(";")[0])
    elif ";" in mimetype:  # a full content type, e.g. "application/feed+json; charset=utf-8"
        response = Response(render(), content_type=mimetype)
    else:
        response = Response(render(), mimetype=mimetype)
    response.set_etag(etag)
    if last_modified is not None:
        response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    response.vary.add("Accept-Encoding")
    if cors:
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CSP)
    return response


def init_app(app: Flask) -> None:
    """Send security headers on every response."""
    app.after_request(_security_headers)
