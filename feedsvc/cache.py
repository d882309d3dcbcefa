"""A small byte cache: in-process LRU by default, Redis when FEEDSVC_CACHE_URL is set."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from flask import Flask, current_app, has_request_context

from feedsvc import hosts, metrics


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


class RedisCache:
    """A cache shared by every worker, in Redis; errors fall back to no caching."""

    def __init__(self, url: str, prefix: str = "feedsvc:") -> None:
        import redis

        self.prefix = prefix  # lets several deployments (or test runs) share one Redis
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def get(self, key: str) -> bytes | None:
        """The cached bytes, or None (also when Redis is unreachable)."""
        import redis

        try:
            return self.client.get(self.prefix + key)
        except redis.RedisError:
            return None

    def set(self, key: str, value: bytes, ttl: int) -> None:
        """Store ``value`` for ``ttl`` seconds; a Redis error is ignored."""
        import redis

        with contextlib.suppress(redis.RedisError):
            self.client.set(self.prefix + key, value, ex=ttl)


def init_app(app: Flask) -> None:
    """Create the app's cache from configuration."""
    url = app.config.get("CACHE_URL")
    prefix = app.config.get("CACHE_KEY_PREFIX", "feedsvc:")
    app.extensions["feedsvc.cache"] = RedisCache(url, prefix) if url else MemoryCache()


def get_cache() -> ByteCache:
    """The current app's cache."""
    return current_app.extensions["feedsvc.cache"]


def cached_bytes(key: str, build: Callable[[], bytes], ttl: int = 86400) -> bytes:
    """The bytes cached under ``key``, built and stored on a miss; built uncached past the hosts' bound."""
    if has_request_context() and not hosts.may_cache():
        return build()
    cache = get_cache()
    value = cache.get(key)
    metrics.count_cache_lookup(value is not None)
    if value is None:
        value = build()
        cache.set(key, value, ttl)
    return value
