"""A PostgreSQL that accepts and never answers (a stalling proxy in front of the real one).

Every request answers within 10 s: feeds and rates from their last known bytes, other reads and writes a
503 with Retry-After in the error shape, /healthz within 2 s; one log line per kind, no traceback; and
the service comes back by itself when the database does.
"""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
from netfaults import ANSWER_WITHIN, HEALTH_WITHIN, POSTGRES, assert_no_traceback, via_proxy
from redis_keys import REDIS_URL
from sqlalchemy import text

from feedsvc.core.db import get_session

FEED = "/feeds/kazakhstan.rss"
LATEST = "/rates/latest.json"
ARTICLE = {"title": "Before the hang", "countries": ["kazakhstan"]}


@pytest.fixture
def postgres_only(db_name: str) -> None:
    """Skip on SQLite: a file has no connection to hang."""
    if db_name != "postgresql":
        pytest.skip("a hung server is a PostgreSQL fault")


def assert_503(response, seconds: float) -> None:
    """A 503 in the error shape with Retry-After, answered in time."""
    assert seconds < ANSWER_WITHIN, f"answered after {seconds:.1f} s"
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["error"]["status"] == 503


def timed(call):
    """``call()`` and the seconds it took."""
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def test_a_hung_postgresql_answers_every_request_in_time(postgres_only, app_factory, database_urls, proxy_to,
                                                         redis_prefix, caplog) -> None:
    proxy = proxy_to(POSTGRES)
    app = app_factory(DATABASE_URL=via_proxy(database_urls["postgresql"], proxy), CACHE_URL=REDIS_URL,
                      CACHE_KEY_PREFIX=redis_prefix)
    client = app.test_client()
    token = app.test_cli_runner().invoke(args=["token", "create", "hung"]).output.strip()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/articles", json=ARTICLE, headers=auth).status_code == 201
    known = {path: client.get(path) for path in (FEED, LATEST)}
    assert [r.status_code for r in known.values()] == [200, 200]
    caplog.set_level(logging.INFO)

    proxy.set_mode("stall")
    for path, before in known.items():  # the idle connections hang on their next statement
        response, seconds = timed(lambda path=path: client.get(path))
        assert seconds < ANSWER_WITHIN and response.status_code == 200, (path, seconds, response.status_code)
        assert response.get_data() == before.get_data() and response.headers["ETag"] == before.headers["ETag"]
    assert_503(*timed(lambda: client.get("/api/articles")))
    assert_503(*timed(lambda: client.post("/api/articles", json=ARTICLE, headers=auth)))
    health, seconds = timed(lambda: client.get("/healthz"))
    assert seconds < HEALTH_WITHIN and health.status_code == 503
    assert health.get_json()["database"] == "unreachable"
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("database unavailable")]
    assert len(lines) == 1, lines
    assert_no_traceback("\n".join(caplog.text.splitlines()))
    assert not [r for r in caplog.records if r.exc_info]

    proxy.set_mode("pass")  # the server answers again: so does the service, without a restart
    deadline = time.monotonic() + ANSWER_WITHIN
    while client.get("/api/articles").status_code != 200:
        assert time.monotonic() < deadline, "still 503 after the database came back"
        time.sleep(0.5)
    assert client.post("/api/articles", json=ARTICLE, headers=auth).status_code == 201


def test_healthz_is_never_stuck_behind_busy_workers(postgres_only, app_factory, database_urls, proxy_to,
                                                     gunicorn, run_prefix) -> None:
    app_factory()  # empty tables
    proxy = proxy_to(POSTGRES)
    node = gunicorn(via_proxy(database_urls["postgresql"], proxy), run_prefix, workers=2)
    fed = node.get(FEED)
    assert fed.status == 200 and node.get("/api/articles").status == 200
    assert node.get("/healthz").status == 200

    proxy.set_mode("stall")
    answers: list = []
    # Three requests that wait on the database: at least one thread of each worker is busy, or all but
    # one of a worker's threads.
    stuck = [threading.Thread(target=lambda: answers.append(node.get("/api/articles?q=hang")))
             for _ in range(3)]
    for thread in stuck:
        thread.start()
    time.sleep(0.3)
    for _ in range(3):
        health = node.get("/healthz", timeout=ANSWER_WITHIN)
        assert health.seconds < HEALTH_WITHIN, f"/healthz took {health.seconds:.1f} s"
        assert health.status == 503 and json.loads(health.body)["database"] == "unreachable"
    for thread in stuck:
        thread.join(ANSWER_WITHIN + 5)
    assert sorted(a.status for a in answers) == [503, 503, 503]
    assert max(a.seconds for a in answers) < ANSWER_WITHIN
    assert all(int(a.headers["Retry-After"]) > 0 for a in answers)
    again = node.get(FEED)  # from its last known bytes
    assert again.status == 200 and again.body == fed.body and again.seconds < ANSWER_WITHIN

    proxy.set_mode("pass")
    deadline = time.monotonic() + ANSWER_WITHIN
    while node.get("/healthz").status != 200:
        assert time.monotonic() < deadline, "/healthz still 503 after the database came back"
        time.sleep(0.5)
    assert_no_traceback(node.output())
    assert node.output().count("database unavailable (") <= 2 * 2  # a line per kind per worker at most


def test_a_slow_statement_on_a_live_server_is_never_cut(postgres_only, app_factory, database_urls,
                                                        proxy_to) -> None:
    proxy = proxy_to(POSTGRES)  # through the proxy, passing: the watch sees a busy connection for 3 s
    app = app_factory(DATABASE_URL=via_proxy(database_urls["postgresql"], proxy))
    with app.app_context():
        started = time.monotonic()
        assert get_session().execute(text("SELECT pg_sleep(3), 1")).one()[1] == 1
        assert time.monotonic() - started >= 3
