"""A small byte cache: in-process LRU by default, Redis when FEEDSVC_CACHE_URL is set."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Protocol

from flask import Flask, Response, current_app, g, has_request_context, request

from feedsvc.core import hosts, metrics
from feedsvc.core.urls import base_url

# A last known answer is kept this long: an outage longer than a week is not hidden by old bytes.
LAST_KNOWN_TTL = 7 * 86400
KEPT_HEADERS = {"Content-Type", "Content-Disposition", "ETag", "Last-Modified", "Cache-Control", "Vary"}


class ByteCache(Protocol):
    """Get and set bytes by key; keys embed a change marker, so nothing needs invalidating."""

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl: int) -> None: ...


class MemoryCache:
    """A thread-safe LRU bounded by total bytes; entries also expire after their ``ttl``."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()  # key -> (expires, value)
        self.lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The cached bytes, or None when missing or expired."""
        with self.lock:
            entry = self.items.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                self._drop(key)
                return None
            self.items.move_to_end(key)
            return entry[1]

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` for ``ttl`` seconds, evicting the least recently used beyond ``max_bytes``."""
        with self.lock:
            self._drop(key)
            self.items[key] = (time.monotonic() + ttl, value)
            self.size += len(value)
            while self.size > self.max_bytes and self.items:
                self._drop(next(iter(self.items)))

    def _drop(self, key: str) -> None:
        entry = self.items.pop(key, None)
        if entry is not None:
            self.size -= len(entry[1])


# Seconds a Redis call may take: the cache and the rate limiter go without Redis rather than wait longer.
REDIS_TIMEOUTS = {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}
REDIS_PAUSE = 5.0  # after a failed call, seconds the cache goes without Redis before trying it again


class RedisCache:
    """A cache shared by every worker, in Redis; errors fall back to no caching for REDIS_PAUSE seconds."""

    def __init__(self, url: str, prefix: str = "feedsvc:") -> None:
        import redis

        self.prefix = prefix  # lets several deployments (or test runs) share one Redis
        self.client = redis.Redis.from_url(url, **REDIS_TIMEOUTS)
        # A hung Redis would cost every lookup its timeout; one failure pauses the cache instead.
        self.paused_until = 0.0

    def get(self, key: str) -> bytes | None:
        """The cached bytes, or None (also when Redis is unreachable)."""
        return self._call(self.client.get, self.prefix + key)

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` for ``ttl`` seconds; a Redis error is ignored."""
        self._call(self.client.set, self.prefix + key, value, ex=ttl)

    def _call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        import redis

        if time.monotonic() < self.paused_until:
            return None
        try:
            return method(*args, **kwargs)
        except redis.RedisError:
            self.paused_until = time.monotonic() + REDIS_PAUSE
            return None


# Per process, the answers of one endpoint (and its path's values, such as the country) are cached for at
# most this many distinct sets of query parameters; others are built for each request. A client looping
# over ?limit=, ?from= or ?tag= values must not fill Redis (the default answer, without parameters, is
# always cached).
MAX_VARIANTS = 64
VARIANTS = "feedsvc.core.cache.variants"  # app.extensions: (lock, {endpoint: {variant, ...}})


def init_app(app: Flask) -> None:
    """Create the app's cache from configuration."""
    url = app.config.get("CACHE_URL")
    prefix = app.config.get("CACHE_KEY_PREFIX", "feedsvc:")
    app.extensions["feedsvc.core.cache"] = RedisCache(url, prefix) if url else MemoryCache()
    app.extensions[VARIANTS] = (threading.Lock(), {})
    app.after_request(keep_last_known)


def get_cache() -> ByteCache:
    """The current app's cache."""
    return current_app.extensions["feedsvc.core.cache"]


def may_cache_variant(variant: Hashable) -> bool:
    """True when the request's answer may be cached: no parameters, or one of its endpoint's first sets."""
    if not request.args:
        return True
    lock, endpoints = current_app.extensions[VARIANTS]
    endpoint = (request.endpoint, tuple(sorted((request.view_args or {}).items())))
    with lock:
        known = endpoints.setdefault(endpoint, set())
        if variant in known:
            return True
        if len(known) < MAX_VARIANTS:
            known.add(variant)
            return True
    return False


def cached_bytes(key: str, build: Callable[[], bytes], ttl: int = 86400, last_known: bool = False,
                 variant: Hashable = None, worth_keeping: Callable[[], bool] | None = None) -> bytes:
    """The bytes cached under ``key``, built and stored on a miss; built uncached past the bounds.

    ``variant`` names the request's parsed parameters (see MAX_VARIANTS); ``worth_keeping``, asked on a
    miss, may refuse to store an answer no one else will ask for (a feed of a tag that does not exist).
    ``last_known``: the response these bytes become is also kept as the request's last known answer,
    which is served while the database is down (see ``last_known_response``).
    """
    if has_request_context() and not hosts.may_cache():
        return build()
    cache = get_cache()
    value = cache.get(key)
    metrics.count_cache_lookup(value is not None)
    if value is None:
        value = build()
        keep = worth_keeping is None or worth_keeping()
        if has_request_context() and not (keep and may_cache_variant(variant)):
            return value
        cache.set(key, value, ttl)
        if last_known:
            g.feedsvc_keep_last_known = True
    return value


def _last_known_key() -> str:
    # The request itself names the answer, not the change markers: those need the database.
    what = "\x1f".join(("GET", base_url(), request.full_path))
    return "last:" + hashlib.sha256(what.encode("utf-8", "surrogatepass")).hexdigest()


def keep_last_known(response: Response) -> Response:
    """After a request: keep the 200 whose bytes were just built as this URL's last known answer."""
    if g.pop("feedsvc_keep_last_known", False) and request.method == "GET" and response.status_code == 200 \
            and not response.is_streamed:
        headers = {name: value for name, value in response.headers.items() if name in KEPT_HEADERS}
        envelope = json.dumps(headers).encode() + b"\n" + response.get_data()
        get_cache().set(_last_known_key(), envelope, LAST_KNOWN_TTL)
    return response


def last_known_response() -> Response | None:
    """This URL's last known answer (a 200, or a 304 for a client that has it), or None."""
    if request.method not in {"GET", "HEAD"}:
        return None
    envelope = get_cache().get(_last_known_key())
    if envelope is None:
        return None
    headers, _, body = envelope.partition(b"\n")
    response = Response(body, 200, headers=json.loads(headers))
    return response.make_conditional(request)
