"""Honest outages: a database that never answers or refuses connections gives 503s with Retry-After in
each endpoint's error shape, one log line per kind, /healthz within 2 s, and feeds and rates served from
their last known bytes in the shared cache."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text

import config
from feedsvc import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"
FEED = "/feeds/kazakhstan.rss"
LATEST = "/rates/latest.json"
SERIES = "/rates.csv?pairs=USD/KZT&from=2025-01-01&to=2025-01-31"
JSON_ENDPOINTS = [FEED, "/feeds/all.json", LATEST, SERIES, "/rates/sources.json",
                  "/rates/sources/nbk/missing.csv", "/api/articles", "/api/articles/1", "/oembed?url=http://localhost/articles/1"]
ARTICLE = {"title": "Locked out", "countries": ["kazakhstan"]}
HTML_ENDPOINTS = ["/", "/kazakhstan", "/rates", "/articles/1", "/search?q=x", "/embed/kazakhstan",
                  "/embed/rates"]


class BlackHole:
    """A TCP server on 127.0.0.1 that accepts connections and never says a word (a hung PostgreSQL)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.held.append(conn)

    def close(self) -> None:
        """Stop accepting and drop every connection held."""
        self.stop.set()
        self.thread.join(5)
        for conn in self.held:
            conn.close()
        self.listener.close()


@pytest.fixture
def black_hole() -> Iterator[str]:
    """The URL of a 'PostgreSQL' that accepts TCP and never answers."""
    server = BlackHole()
    try:
        yield f"postgresql://postgres@127.0.0.1:{server.port}/x"
    finally:
        server.close()


@pytest.fixture
def refused() -> str:
    """The URL of a PostgreSQL port where nothing listens (connection refused)."""
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"postgresql://postgres@127.0.0.1:{port}/x"


@pytest.fixture
def prefix(redis_prefix: str) -> str:
    """A Redis key prefix of this test's own; its keys are deleted afterwards."""
    return redis_prefix


@pytest.fixture
def dead_app() -> Iterator:
    """Build apps on a dead database (short timeouts); dispose of their engines afterwards."""
    apps: list[Flask] = []

    def build(url: str, **overrides: object) -> Flask:
        app = create_app(config.TestConfig(DATABASE_URL=url, DB_CONNECT_TIMEOUT=2.0, **overrides))
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["feedsvc.engine"].dispose()


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """The log records that announce a database outage."""
    return [r for r in caplog.records if r.getMessage().startswith("database unavailable")]


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing logged with a traceback."""
    assert not [r for r in caplog.records if r.exc_info or r.exc_text or "Traceback" in r.getMessage()]


def assert_503(response, html: bool = False) -> None:
    """A 503 with Retry-After, not cached, in the endpoint's error shape."""
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    if html:
        assert response.mimetype == "text/html"
        assert "503" in response.get_data(as_text=True)
    else:
        error = response.get_json()["error"]
        assert error["status"] == 503 and "database" in error["message"]


def test_healthz_answers_within_2_s_when_the_database_never_answers(dead_app, black_hole) -> None:
    client = dead_app(black_hole).test_client()
    for _ in range(3):  # the next checks do not queue behind the first one's hung connection
        start = time.monotonic()
        response = client.get("/healthz")
        assert time.monotonic() - start < 2.0
        assert response.status_code == 503
        assert response.get_json() == {"status": "down", "database": "unreachable", "rates": None}
        assert int(response.headers["Retry-After"]) > 0


def test_a_hung_database_gives_503s_with_one_log_line(dead_app, black_hole, caplog) -> None:
    client = dead_app(black_hole).test_client()
    caplog.set_level(logging.INFO)
    start = time.monotonic()
    assert_503(client.get(FEED))
    assert_503(client.get("/kazakhstan"), html=True)
    assert time.monotonic() - start < 8  # each request waits for the connect timeout (2 s), not 30 s
    assert [r.getMessage().split(":")[0] for r in outage_lines(caplog)] == [
        "database unavailable (connect timeout)"]
    assert_no_traceback(caplog)


def test_a_refused_connection_gives_503s_everywhere_with_one_log_line(dead_app, refused, caplog) -> None:
    client = dead_app(refused).test_client()
    caplog.set_level(logging.INFO)
    for path in JSON_ENDPOINTS * 2:
        assert_503(client.get(path))
    for path in HTML_ENDPOINTS:
        assert_503(client.get(path), html=True)
    assert_503(client.get(FEED, headers={"If-None-Match": '"abc"'}))
    lines = outage_lines(caplog)
    assert len(lines) == 1 and lines[0].getMessage().startswith("database unavailable (unreachable): ")
    assert "refused" in lines[0].getMessage().lower()
    assert_no_traceback(caplog)
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["database"] == "unreachable"


def test_another_kind_gets_its_own_line_and_a_minute_later_the_count(dead_app, refused, caplog) -> None:
    app = dead_app(refused)
    client = app.test_client()
    caplog.set_level(logging.INFO)
    for _ in range(3):
        client.get(FEED)
    app.extensions["feedsvc.outages"].interval = 0  # as if a minute had passed
    client.get(FEED)
    messages = [r.getMessage() for r in outage_lines(caplog)]
    assert len(messages) == 2 and messages[1].endswith("(2 more since the last line)")


def test_feeds_and_rates_are_served_from_their_last_known_bytes(app_factory, dead_app, refused, prefix,
                                                                 caplog) -> None:
    shared = {"CACHE_URL": REDIS_URL, "CACHE_KEY_PREFIX": prefix}
    live = app_factory(**shared).test_client()
    known = {path: live.get(path) for path in (FEED, "/feeds/all.json", LATEST, SERIES)}
    assert {path: r.status_code for path, r in known.items()} == dict.fromkeys(known, 200)
    assert live.get("/").status_code == 200

    client = dead_app(refused, **shared).test_client()
    caplog.set_level(logging.INFO)
    for path, before in known.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data() == before.get_data()
        for header in ("Content-Type", "ETag", "Cache-Control", "Last-Modified",
                       "Access-Control-Allow-Origin"):
            assert response.headers.get(header) == before.headers.get(header), (path, header)
    again = client.get(FEED, headers={"If-None-Match": known[FEED].headers["ETag"]})
    assert again.status_code == 304
    assert_503(client.get("/feeds/kyrgyzstan.rss"))  # never fetched: nothing known
    assert_503(client.get(LATEST + "?pairs=USD/KGS"))  # another query is another answer
    assert_503(client.get("/"), html=True)  # pages are not kept
    assert len(outage_lines(caplog)) == 1
    assert_no_traceback(caplog)


def test_a_statement_timeout_gives_503_not_a_hung_worker(app_factory, db_name, caplog) -> None:
    if db_name != "postgresql":
        pytest.skip("SQLite readers are never blocked in WAL mode; its busy timeout is for writers")
    app = app_factory(DB_STATEMENT_TIMEOUT=0.5)
    engine = app.extensions["feedsvc.engine"]
    caplog.set_level(logging.INFO)
    with engine.connect() as locker:
        locker.execute(text("SET statement_timeout = 0"))
        locker.execute(text("LOCK TABLE change_markers IN ACCESS EXCLUSIVE MODE"))
        start = time.monotonic()
        response = app.test_client().get(FEED)
        assert time.monotonic() - start < 3
        locker.rollback()
    assert_503(response)
    assert [r.getMessage().split(":")[0] for r in outage_lines(caplog)] == [
        "database unavailable (statement timeout)"]
    assert_no_traceback(caplog)
    assert app.test_client().get(FEED).status_code == 200  # the lock gone, all is well again


def test_a_locked_sqlite_database_gives_503_to_a_writer(app_factory, db_name, auth_headers, caplog) -> None:
    if db_name != "sqlite":
        pytest.skip("SQLite's busy timeout")
    app = app_factory(DB_STATEMENT_TIMEOUT=0.3)
    caplog.set_level(logging.INFO)
    with app.extensions["feedsvc.engine"].connect() as locker:
        locker.exec_driver_sql("BEGIN IMMEDIATE")  # a writer that holds on
        response = app.test_client().post("/api/articles", json=ARTICLE, headers=auth_headers)
        locker.rollback()
    assert_503(response)
    assert [r.getMessage().split(":")[0] for r in outage_lines(caplog)] == ["database unavailable (locked)"]
