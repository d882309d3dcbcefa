"""A full disk, a read-only database, a lock held past the timeout: a 503 for the write, never a 500.

Each kind answers in the error shape with Retry-After, logs one line per kind however many requests
fail, and no traceback; reads keep working where the database still answers them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, make_url, text

from feedsvc.core.db import normalise_url

BIG = "<p>" + "x" * 400_000 + "</p>"  # needs new pages
ARTICLE = {"title": "Cannot be written", "countries": ["kazakhstan"]}


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The "database unavailable (kind): ..." lines logged."""
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("database unavailable")]


def assert_writes_refused(client, auth_headers, caplog, kind: str, body: dict | None = None) -> None:
    """Three writes: 503s in the error shape with Retry-After, one log line of ``kind``, no traceback."""
    caplog.set_level(logging.INFO)
    for _ in range(3):
        response = client.post("/api/articles", json=body or ARTICLE, headers=auth_headers)
        assert response.status_code == 503, response.get_data(as_text=True)[:300]
        assert response.get_json()["error"]["status"] == 503 and int(response.headers["Retry-After"]) > 0
    assert [line.split(":")[0] for line in outage_lines(caplog)] == [f"database unavailable ({kind})"]
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert client.get("/api/articles").status_code == 200  # reads still answer


def test_a_full_sqlite_disk_refuses_writes_with_503(app_factory, db_name, auth_headers, caplog) -> None:
    if db_name != "sqlite":
        pytest.skip("PostgreSQL's disk full needs a full filesystem (see test_disk_full.py)")
    app = app_factory()
    engine = app.extensions["feedsvc.engine"]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM")  # no free pages left by earlier tests: the next write needs new ones

    @event.listens_for(engine, "connect")
    def no_room(dbapi_connection, _record) -> None:  # SQLite's own limit: SQLITE_FULL, as on a full disk
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()  # every connection from now on has no room to grow
    assert_writes_refused(app.test_client(), auth_headers, caplog, "disk full",
                          {**ARTICLE, "content_html": BIG})


@pytest.fixture
def read_only_url(db_name: str, database_urls: dict[str, str]) -> Iterator[str]:
    """The test database opened read-only: SQLite's mode=ro, PostgreSQL's default_transaction_read_only."""
    url = database_urls[db_name]
    if db_name == "sqlite":
        yield f"sqlite:///file:{make_url(url).database}?mode=ro&uri=true"
        return
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    name = make_url(url).database
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
        admin.dispose()


def test_a_read_only_database_refuses_writes_with_503(app_factory, auth_headers, read_only_url,
                                                      caplog) -> None:
    app = app_factory(DATABASE_URL=read_only_url)
    assert_writes_refused(app.test_client(), auth_headers, caplog, "read-only")


def test_a_lock_held_past_the_timeout_refuses_writes_with_503(app_factory, db_name, auth_headers,
                                                             caplog) -> None:
    app = app_factory(DB_STATEMENT_TIMEOUT=0.5)
    with app.extensions["feedsvc.engine"].connect() as locker:
        if db_name == "sqlite":
            locker.exec_driver_sql("BEGIN IMMEDIATE")  # a writer that holds on
        else:
            locker.execute(text("SET statement_timeout = 0"))
            locker.execute(text("LOCK TABLE change_markers IN EXCLUSIVE MODE"))  # readers pass, writers wait
        kind = "locked" if db_name == "sqlite" else "statement timeout"
        assert_writes_refused(app.test_client(), auth_headers, caplog, kind)
        locker.rollback()
    assert app.test_client().post("/api/articles", json=ARTICLE, headers=auth_headers).status_code == 201
