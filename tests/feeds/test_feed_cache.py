"""Rendered feeds are cached by marker and parameters, in process or in Redis shared by workers."""

from __future__ import annotations

import redis

from feedsvc.core.cache import MemoryCache

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_a_hot_feed_is_served_from_the_cache(app, client, add_article):
    add_article(title="Cached")
    first = client.get("/feeds/kazakhstan.atom")
    cache = app.extensions["feedsvc.core.cache"]
    (key,) = [key for key in cache.items if key.startswith("feed:")]
    cache.set(key, b"from the cache", 60)
    assert client.get("/feeds/kazakhstan.atom").data == b"from the cache"
    assert client.get("/feeds/kazakhstan.atom?limit=3").data != b"from the cache"  # other parameters
    add_article(title="Newer")  # a new marker revision: a new key, never a stale feed
    assert b"Newer" in client.get("/feeds/kazakhstan.atom").data
    assert first.status_code == 200


def test_redis_cache_is_shared_by_every_worker(app_factory, add_article, redis_prefix):
    settings = {"CACHE_URL": REDIS_URL, "CACHE_KEY_PREFIX": redis_prefix}
    worker_one, worker_two = app_factory(**settings), app_factory(**settings)
    add_article(title="Shared")
    body = worker_one.test_client().get("/feeds/all.json").data
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match=redis_prefix + "feed:*"))
    assert len(keys) == 1 and client.get(keys[0]) == body
    client.set(keys[0], b"from redis")
    client.close()
    assert worker_two.test_client().get("/feeds/all.json").data == b"from redis"


def test_unreachable_redis_means_no_cache_not_an_error(app_factory, add_article):
    app = app_factory(CACHE_URL="redis://127.0.0.1:1/0")
    add_article(title="Still served")
    response = app.test_client().get("/feeds/all.rss")
    assert response.status_code == 200 and b"Still served" in response.data


def test_memory_cache_expires_entries_and_stays_within_its_size():
    cache = MemoryCache(max_bytes=10)
    cache.set("gone", b"x", ttl=0)
    assert cache.get("gone") is None
    cache.set("a", b"12345", ttl=60)
    cache.set("b", b"12345", ttl=60)
    assert cache.get("a") == b"12345"  # now the most recently used
    cache.set("c", b"123", ttl=60)
    assert cache.get("b") is None and cache.get("a") == b"12345" and cache.get("c") == b"123"
    assert cache.size == 8
