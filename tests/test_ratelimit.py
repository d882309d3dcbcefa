"""Rate limits: writes and failed authentication per client, full rate series per client; feeds never."""

from __future__ import annotations

import secrets

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedsvc.core.ratelimit import HOOKS

REDIS_URL = "redis://127.0.0.1:6379/0"
ARTICLE = {"title": "Limits", "countries": ["kazakhstan"]}


def client_at(app: Flask, address: str) -> FlaskClient:
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def fresh_address() -> str:
    """A client address no earlier run has used (limits in Redis outlive a test)."""
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


def assert_too_many(response) -> None:
    """A 429 in the service's error shape, with a Retry-After of at most the window."""
    assert response.status_code == 429
    error = response.get_json()["error"]
    assert error["status"] == 429 and "too many requests" in error["message"]
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["Cache-Control"] == "no-store"


def test_writes_are_limited_per_client(app_factory, token: str) -> None:
    app = app_factory(LIMIT_WRITES="3/minute")
    auth = {"Authorization": f"Bearer {token}"}
    alice, bob = client_at(app, "192.0.2.1"), client_at(app, "192.0.2.2")
    statuses = [alice.post("/api/articles", json=ARTICLE, headers=auth).status_code for _ in range(3)]
    assert statuses == [201, 201, 201]
    assert_too_many(alice.post("/api/articles", json=ARTICLE, headers=auth))
    assert_too_many(alice.delete("/api/articles/1", headers=auth))
    assert alice.get("/api/articles").get_json()["total"] == 3  # reads are not writes
    assert bob.post("/api/articles", json=ARTICLE, headers=auth).status_code == 201


def test_guessing_tokens_is_stopped(app_factory, token: str) -> None:
    app = app_factory(LIMIT_AUTH_FAILURES="10/minute")
    guesser, editor = client_at(app, "192.0.2.9"), client_at(app, "192.0.2.10")
    statuses = [guesser.post("/api/articles", json=ARTICLE, headers={"Authorization": f"Bearer fsv_{n}"}
                             ).status_code for n in range(300)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    assert_too_many(guesser.patch("/api/articles/1", json={}, headers={"Authorization": "Bearer nope"}))
    # Even the right token waits now; another client is not affected, and its successes don't count.
    assert guesser.post("/api/articles", json=ARTICLE, headers={"Authorization": f"Bearer {token}"}
                        ).status_code == 429
    for _ in range(12):
        assert editor.post("/api/articles", json=ARTICLE,
                           headers={"Authorization": f"Bearer {token}"}).status_code == 201


def test_full_rate_series_are_limited_but_revalidations_are_free(app_factory) -> None:
    app = app_factory(LIMIT_RATES="2/minute")
    analyst = client_at(app, "192.0.2.20")
    first = analyst.get("/rates.csv?pairs=KZT/USD")
    assert first.status_code == 200
    for _ in range(20):  # a spreadsheet refreshing its import: 304s cost nothing
        revalidate = {"If-None-Match": first.headers["ETag"]}
        conditional = analyst.get("/rates.csv?pairs=KZT/USD", headers=revalidate)
        assert conditional.status_code == 304
    assert analyst.get("/rates.json?pairs=KZT/USD").status_code == 200
    assert_too_many(analyst.get("/rates.csv?pairs=KGS/USD"))
    assert analyst.get("/rates?pair=KGS/USD").status_code == 429  # the chart page reads a series too
    assert analyst.get("/rates.ndjson?pairs=KGS/USD").status_code == 429
    for _ in range(10):
        assert analyst.get("/rates/latest.json").status_code == 200  # the ticker: cheap, never limited
    assert client_at(app, "192.0.2.21").get("/rates.csv").status_code == 200


def test_answers_from_the_byte_cache_spend_no_limit(app_factory) -> None:
    app = app_factory(LIMIT_RATES="2/minute")
    analyst = client_at(app, "192.0.2.22")
    for _ in range(10):  # built once, then the same bytes: no query runs, nothing is counted
        assert analyst.get("/rates.csv?pairs=KZT/USD").status_code == 200
    assert analyst.get("/rates.csv?pairs=KGS/USD").status_code == 200  # built: the second counted
    assert_too_many(analyst.get("/rates.csv?pairs=TJS/USD"))


def test_feeds_and_pages_are_never_limited(app_factory) -> None:
    app = app_factory(LIMIT_WRITES="1/minute", LIMIT_AUTH_FAILURES="1/minute", LIMIT_RATES="1/minute")
    reader = client_at(app, "192.0.2.30")
    for _ in range(30):
        for path in ("/feeds/all.rss", "/feeds/kazakhstan.atom", "/feeds.opml", "/", "/kazakhstan",
                     "/embed/all", "/api/articles"):
            assert reader.get(path).status_code == 200, path


def test_limits_are_shared_through_redis(app_factory, token: str) -> None:
    node_a = app_factory(LIMIT_WRITES="2/minute", CACHE_URL=REDIS_URL)
    node_b = app_factory(LIMIT_WRITES="2/minute", CACHE_URL=REDIS_URL)
    address, auth = fresh_address(), {"Authorization": f"Bearer {token}"}
    assert client_at(node_a, address).post("/api/articles", json=ARTICLE, headers=auth).status_code == 201
    assert client_at(node_b, address).post("/api/articles", json=ARTICLE, headers=auth).status_code == 201
    assert_too_many(client_at(node_a, address).post("/api/articles", json=ARTICLE, headers=auth))


def test_the_series_limit_is_shared_through_redis_and_survives_its_loss(app_factory, redis_prefix) -> None:
    prefix = redis_prefix  # a byte cache of our own: earlier runs' bytes would be hits
    nodes = [app_factory(LIMIT_RATES="2/minute", CACHE_URL=url, CACHE_KEY_PREFIX=prefix)
             for url in (REDIS_URL, REDIS_URL, "redis://127.0.0.1:1/0")]
    address = fresh_address()
    assert client_at(nodes[0], address).get("/rates.csv?pairs=KZT/USD").status_code == 200
    assert client_at(nodes[1], address).get("/rates.csv?pairs=KGS/USD").status_code == 200
    assert_too_many(client_at(nodes[0], address).get("/rates.csv?pairs=TJS/USD"))
    assert client_at(nodes[1], address).get("/rates.csv?pairs=KZT/USD").status_code == 200  # cached
    for pair in ("KZT", "KGS", "TJS"):  # the store is down: the series are served, not limited
        assert client_at(nodes[2], address).get(f"/rates.csv?pairs={pair}/USD").status_code == 200


def test_an_unreachable_limit_store_does_not_stop_writes(app_factory, token: str) -> None:
    app = app_factory(LIMIT_WRITES="100/minute", CACHE_URL="redis://127.0.0.1:1/0")
    auth = {"Authorization": f"Bearer {token}"}
    response = app.test_client().post("/api/articles", json=ARTICLE, headers=auth)
    assert response.status_code == 201


@pytest.mark.parametrize("trusted", [0, 1])
def test_behind_a_trusted_proxy_clients_are_told_apart(app_factory, trusted: int) -> None:
    app = app_factory(LIMIT_AUTH_FAILURES="2/minute", TRUSTED_PROXIES=trusted)
    proxy = client_at(app, "127.0.0.1")

    def guess(client_address: str) -> int:
        headers = {"Authorization": "Bearer wrong", "X-Forwarded-For": client_address}
        return proxy.post("/api/articles", json=ARTICLE, headers=headers).status_code

    assert [guess("203.0.113.1") for _ in range(3)] == [401, 401, 429]
    # Trusted, the proxy's X-Forwarded-For names the client; untrusted, everyone is the proxy.
    assert guess("203.0.113.2") == (401 if trusted else 429)


def test_the_limiter_runs_only_where_there_are_limits(app: Flask) -> None:
    # flask-limiter would check every request; a feed's 304 should not pay for it. The rate series
    # spend their limit from the view, only when they query (spend_expensive).
    before, after, teardown = app.extensions[HOOKS]
    assert before and after and teardown
    for hooks, ours in ((app.before_request_funcs, before), (app.after_request_funcs, after),
                        (app.teardown_request_funcs, teardown)):
        assert not set(hooks.get(None, [])) & set(ours)
        assert {name for name, funcs in hooks.items() if set(ours) <= set(funcs)} == {"api"}


def test_guessing_tokens_on_reads_is_stopped_too(app_factory, token: str) -> None:
    app = app_factory(LIMIT_AUTH_FAILURES="10/minute")
    guesser = client_at(app, "192.0.2.40")
    statuses = [guesser.get("/api/articles", headers={"Authorization": f"Bearer fsv_{n}"}).status_code
                for n in range(300)]
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    for path in ("/api/articles/1", "/api/articles"):  # every route that reads a token
        assert_too_many(guesser.get(path, headers={"Authorization": f"Bearer {token}"}))
    scrape = guesser.get("/metrics", headers={"Authorization": f"Bearer {token}"})  # an HTML error page
    assert scrape.status_code == 429 and 1 <= int(scrape.headers["Retry-After"]) <= 60
    assert guesser.get("/api/articles").status_code == 200  # without a token, reads are not limited
    assert client_at(app, "192.0.2.41").get("/api/articles", headers={"Authorization": f"Bearer {token}"}
                                            ).status_code == 200
    scraper = client_at(app, "192.0.2.42")
    metrics = [scraper.get("/metrics", headers={"Authorization": "Bearer x"}).status_code for _ in range(12)]
    assert metrics == [404] * 10 + [429] * 2
