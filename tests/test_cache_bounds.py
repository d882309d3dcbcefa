"""Query strings cannot grow the shared cache: an unknown tag's feed is answered but not kept, and each
endpoint keeps at most MAX_VARIANTS sets of parameters per process, in Redis as in memory."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import redis
from redis_keys import REDIS_URL, count_keys

from feedsvc.api.articles import PARSED
from feedsvc.core.cache import MAX_VARIANTS, MemoryCache
from feedsvc.core.memo import MEMO_MAX
from feedsvc.rates.service import REMEMBERED

ARTICLE = {"title": "Tagged", "countries": ["kazakhstan"], "tags": ["economy"]}


def keys(prefix: str, kind: str) -> int:
    """How many keys of ``kind`` (``feed``, ``rates``, ``last``) the app stored under ``prefix``."""
    return count_keys(f"{prefix}{kind}:")


@pytest.fixture
def shared_app(app_factory, redis_prefix, auth_headers):
    """An app on the shared Redis with one tagged article."""
    app = app_factory(CACHE_URL=REDIS_URL, CACHE_KEY_PREFIX=redis_prefix)
    assert app.test_client().post("/api/articles", json=ARTICLE, headers=auth_headers).status_code == 201
    return app


def test_unknown_tags_are_answered_but_never_stored(shared_app, redis_prefix) -> None:
    client = shared_app.test_client()
    for number in range(1000):
        response = client.get(f"/feeds/all.rss?tag=probe{number}")
        assert response.status_code == 200 and b"<item>" not in response.get_data()
    assert keys(redis_prefix, "feed") == keys(redis_prefix, "last") == 0
    tagged = client.get("/feeds/all.rss?tag=economy")
    assert b"Tagged" in tagged.get_data()
    assert keys(redis_prefix, "feed") == keys(redis_prefix, "last") == 1  # a tag in use is kept


def test_each_endpoint_keeps_a_bounded_number_of_variants(shared_app, redis_prefix) -> None:
    client = shared_app.test_client()
    for limit in range(1, 101):
        for path in ("/feeds/all.atom", "/feeds/kazakhstan.json"):
            assert client.get(f"{path}?tag=economy&limit={limit}").status_code == 200
    assert keys(redis_prefix, "feed") == 2 * MAX_VARIANTS
    start = date(2025, 1, 1)
    for days in range(300):
        end = start + timedelta(days=days)
        assert client.get(f"/rates.csv?pairs=KZT/USD&from={start}&to={end}").status_code == 200
    assert keys(redis_prefix, "rates") == MAX_VARIANTS
    assert keys(redis_prefix, "last") == 3 * MAX_VARIANTS
    assert client.get("/feeds/all.atom").status_code == 200  # the default answer is always kept
    assert keys(redis_prefix, "feed") == 2 * MAX_VARIANTS + 1
    total = redis.Redis.from_url(REDIS_URL).dbsize()
    assert total > 0  # the Redis is shared: only this test's prefix is counted


def test_the_memory_cache_is_bounded_the_same_way(app_factory, auth_headers) -> None:
    app = app_factory()
    client = app.test_client()
    assert client.post("/api/articles", json=ARTICLE, headers=auth_headers).status_code == 201
    for number in range(500):
        assert client.get(f"/feeds/all.rss?tag=probe{number}&limit={number % 100 + 1}").status_code == 200
    for limit in range(1, 101):
        assert client.get(f"/feeds/all.rss?tag=economy&limit={limit}").status_code == 200
    cache = app.extensions["feedsvc.core.cache"]
    assert isinstance(cache, MemoryCache)
    assert len(cache.items) == 2 * MAX_VARIANTS  # each feed's bytes and its last known answer


def test_remembered_rate_queries_are_bounded(app) -> None:
    client = app.test_client()
    first = date(2020, 1, 1)
    for n in range(MEMO_MAX + 40):  # every query string a new one, as a crawler or an attacker sends
        day = first + timedelta(days=n)
        assert client.get(f"/rates.csv?from={day}&to={day}").status_code == 200
    assert len(app.extensions[REMEMBERED][1]) == MEMO_MAX
    assert client.get("/rates.csv?from=2020-01-01&to=2020-01-01&bad=1").status_code == 400  # not kept
    assert len(app.extensions[REMEMBERED][1]) == MEMO_MAX


def test_parsed_api_queries_are_bounded_and_errors_not_kept(app) -> None:
    client = app.test_client()
    for n in range(MEMO_MAX + 40):
        assert client.get(f"/api/articles?per_page=5&page={n + 1}").status_code == 200
    assert len(app.extensions[PARSED][1]) == MEMO_MAX
    for _ in range(2):  # a 400 each time: an error is never kept as a parse
        assert client.get("/api/articles?per_page=500").status_code == 400
    assert len(app.extensions[PARSED][1]) == MEMO_MAX
    assert b"per_page=500" not in {query for _schema, query in app.extensions[PARSED][1]}
