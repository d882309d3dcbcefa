"""What a request may say about where it came from: its Host, and X-Forwarded-* from trusted proxies.

A missing or malformed Host (or forwarded host, scheme or client address) is a 400 before routing, so no
URL, cache key or error page is ever built from it. With ``FEEDSVC_TRUSTED_PROXIES=N`` the last N proxies'
X-Forwarded-For, -Proto, -Host and -Port are applied (werkzeug's ProxyFix) and then checked the same way.
With ``FEEDSVC_PUBLIC_URL`` every request is then seen with the public host and scheme, so nothing
(url_for, werkzeug's own redirects, error pages, ETags, cache keys) can be built from the client's Host.
Without it (development) any valid Host is served, but only the first few a process sees get cached bytes.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

MAX_HOST = 260  # a 253-character name, a colon and a port
# The characters werkzeug accepts in a Host (others make request.host empty and every URL broken).
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([1-9][0-9]{0,4}))?")
PROBLEM = "feedsvc.origin_problem"  # environ key: why the request's origin was refused
# What the request is routed with once its own Host was refused: the error page needs some host.
STAND_IN_HOST = "localhost"
# Without FEEDSVC_PUBLIC_URL, a process caches the bytes of at most this many distinct hosts: every Host
# value is part of the cache keys, and a client looping over random ones must not fill Redis.
MAX_CACHED_HOSTS = 8
CACHED_HOSTS = "feedsvc.cached_hosts"  # app.extensions: (lock, set of hosts that get cached bytes)

Environ = dict[str, Any]
WSGIApp = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


@functools.lru_cache(maxsize=256)  # a service sees few hosts; checking one costs more than the lookup
def is_valid_host(value: str) -> bool:
    """True for ``name[:port]`` or ``[ipv6][:port]``: DNS labels that IDNA can decode, a port 1–65535."""
    match = _HOST.fullmatch(value) if len(value) <= MAX_HOST else None
    if match is None:
        return False
    name, port = match.groups()
    if port is not None and int(port) > 65535:
        return False
    if name.startswith("["):
        try:
            ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            return False
        return True
    labels = name.removesuffix(".").split(".")
    if len(name) > 253 or any(not 0 < len(label) <= 63 or label[0] == "-" or label[-1] == "-"
                              for label in labels):
        return False
    try:  # bad punycode ("xn--"), which werkzeug would fail to decode while building URLs
        name.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    return True


def origin_problem(environ: Environ) -> str | None:
    """What is wrong with the request's host, scheme or client address (after ProxyFix), or None."""
    host = environ.get("HTTP_HOST")
    if host is None:  # HTTP/1.0 allows it; every URL and cache key would come from the server's own name
        return "the request has no Host header; send Host: <the site's name>"
    if not is_valid_host(host):
        return "the Host header (or X-Forwarded-Host) is not a valid host name"
    if environ.get("wsgi.url_scheme") not in ("http", "https"):
        return "X-Forwarded-Proto must be http or https"
    address = environ.get("REMOTE_ADDR")
    if address and not is_ip_address(address):
        return "X-Forwarded-For must end with the client's IP address"
    return None


@functools.lru_cache(maxsize=1024)
def is_ip_address(value: str) -> bool:
    """True for an IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class OriginGuard:
    """WSGI middleware: a request with a malformed origin is routed on a stand-in host and refused."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Mark a bad origin and neutralise it, then call the app."""
        problem = origin_problem(environ)
        if problem:
            environ[PROBLEM] = problem
            environ["HTTP_HOST"] = STAND_IN_HOST
            environ["wsgi.url_scheme"] = "http"
        return self.app(environ, start_response)


class PublicOrigin:
    """WSGI middleware: every request is seen with FEEDSVC_PUBLIC_URL's scheme and host."""

    def __init__(self, app: WSGIApp, public_url: str) -> None:
        self.app = app
        parts = urlsplit(public_url)
        self.scheme, self.host, self.name = parts.scheme, parts.netloc, parts.hostname or ""
        self.port = str(parts.port or (443 if parts.scheme == "https" else 80))

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Replace the request's host and scheme with the public ones, then call the app."""
        environ["HTTP_HOST"] = self.host
        environ["SERVER_NAME"], environ["SERVER_PORT"] = self.name, self.port
        environ["wsgi.url_scheme"] = self.scheme
        return self.app(environ, start_response)


def may_cache() -> bool:
    """True when the request's bytes may be cached: always with FEEDSVC_PUBLIC_URL, else for few hosts."""
    if current_app.config.get("PUBLIC_URL"):
        return True
    lock, hosts = current_app.extensions[CACHED_HOSTS]
    host = request.host
    if host in hosts:
        return True
    with lock:
        if len(hosts) < MAX_CACHED_HOSTS:
            hosts.add(host)
            return True
    return False


def refuse_bad_origin() -> None:
    """400 for a request whose origin OriginGuard refused."""
    problem = request.environ.get(PROBLEM)
    if problem:
        raise BadRequest(problem)


def init_app(app: Flask) -> None:
    """Check every request's origin before routing; apply X-Forwarded-* of trusted proxies first."""
    public = app.config.get("PUBLIC_URL")
    if public:
        app.wsgi_app = PublicOrigin(app.wsgi_app, public)  # type: ignore[method-assign]
    app.extensions[CACHED_HOSTS] = (threading.Lock(), set())
    app.wsgi_app = OriginGuard(app.wsgi_app)  # type: ignore[method-assign]
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies,  # type: ignore[method-assign]
                                x_host=proxies, x_port=proxies)
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_bad_origin)
