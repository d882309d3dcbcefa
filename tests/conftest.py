"""Fixtures: an app on a real database (SQLite and PostgreSQL), a client and a CLI runner.

Every database-backed test runs once per database named in FEEDSVC_TEST_DATABASES
(default ``sqlite,postgresql``). Each test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pg_databases import beside
from redis_keys import RUN_PREFIX, count_keys, drop_keys, prefix_of
from servers import serve
from sqlalchemy import text
from sqlalchemy.orm import Session

from config import TestConfig
from feedsvc import create_app
from feedsvc.core.db import make_engine, seed_countries, upgrade_database
from feedsvc.core.models import Base

POSTGRES_URL = os.environ.get(
    "FEEDSVC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
DATABASES = [
    name.strip()
    for name in os.environ.get("FEEDSVC_TEST_DATABASES", "sqlite,postgresql").split(",")
    if name.strip()
]


def worker_postgres_url(url: str) -> str:
    """This pytest-xdist worker's own PostgreSQL database (``test_gw1``, created once), else ``url``.

    Each test empties the tables it uses: two workers on one database would empty each other's.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return beside(url, worker) if worker else url


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One migrated database per kind, for the whole session (per worker under pytest-xdist)."""
    urls = {
        "sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}",
        "postgresql": worker_postgres_url(POSTGRES_URL) if "postgresql" in DATABASES else POSTGRES_URL,
    }
    countries = TestConfig().COUNTRIES
    for name in DATABASES:
        engine = make_engine(urls[name])
        if name == "postgresql":
            with engine.begin() as conn:  # start from nothing: drop what an earlier run left
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade_database(engine, countries)
        engine.dispose()
    return urls


def _empty_tables(app: Flask) -> None:
    engine = app.extensions["feedsvc.engine"]
    keep = {"countries", "alembic_version"}
    tables = [t for t in Base.metadata.sorted_tables if t.name not in keep]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            # A connection left open by a test (an unread streamed body) would block TRUNCATE.
            conn.execute(text("SET LOCAL lock_timeout = '20s'"))
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())
    with Session(engine) as session, session.begin():
        seed_countries(session, app.config["COUNTRIES"])  # re-creates the change markers


@pytest.fixture(params=DATABASES)
def db_name(request: pytest.FixtureRequest) -> str:
    """The kind of database this test runs on."""
    return request.param


@pytest.fixture(scope="session", autouse=True)
def redis_left_clean() -> Iterator[None]:
    """Fail the run if its tests leave any key in the shared Redis (under the run's prefix)."""
    assert count_keys(RUN_PREFIX) == 0, f"keys under {RUN_PREFIX} before the run"
    yield
    left = count_keys(RUN_PREFIX)
    drop_keys(RUN_PREFIX)
    assert left == 0, f"the tests left {left} key(s) in the shared Redis under {RUN_PREFIX}"


@pytest.fixture
def redis_keys() -> Iterator[Callable[[str], str]]:
    """``redis_keys(name)``: a key prefix under the run's, whose keys are dropped after the test."""
    used: list[str] = []

    def make(name: str) -> str:
        used.append(prefix_of(name))
        return used[-1]

    yield make
    for prefix in used:
        drop_keys(prefix)


@pytest.fixture
def app_factory(database_urls: dict[str, str], db_name: str, redis_keys) -> Iterator:
    """Build apps on the test database with extra settings; tables start empty.

    Their Redis keys (with ``CACHE_URL`` set) go under a prefix of the test's own unless the test names
    one: byte cache, last known answers and rate-limit counters are dropped after the test.
    """
    apps: list[Flask] = []
    prefix = redis_keys(f"app-{uuid.uuid4().hex[:8]}:")

    def build(**overrides: object) -> Flask:
        settings = {"DATABASE_URL": database_urls[db_name], "CACHE_KEY_PREFIX": prefix, **overrides}
        config = TestConfig(**settings)
        app = create_app(config)
        if not apps:
            _empty_tables(app)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["feedsvc.engine"].dispose()


@pytest.fixture
def app(app_factory) -> Flask:
    """The app on a fresh database."""
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner bound to the app."""
    return app.test_cli_runner()


@pytest.fixture
def token(runner: FlaskCliRunner) -> str:
    """A fresh API token, created through the CLI."""
    result = runner.invoke(args=["token", "create", "tests"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


@pytest.fixture
def auth_headers(token: str) -> dict[str, str]:
    """Headers that authorise writes."""
    return {"Authorization": f"Bearer {token}"}


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """One headless Debian Chromium for the whole session (Playwright's sync API allows one)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def serve_wsgi() -> Callable[[Callable], Iterator[str]]:
    """A generator function serving a WSGI app for real on loopback: ``yield from serve_wsgi(app)``."""
    return serve


@pytest.fixture
def redis_prefix(redis_keys) -> str:
    """A unique key prefix in the real Redis (CACHE_KEY_PREFIX), its keys removed afterwards."""
    return redis_keys(f"{uuid.uuid4().hex}:")


@pytest.fixture
def bank_tables(app) -> None:
    """NBKR's daily table (USD, EUR, CNY, KZT, RUB in som) and NBK's (39 currencies in tenge), stored as
    the update jobs store them: pairs such as RUB/KGS come from the banks' own lines."""
    from datetime import UTC, date, datetime
    from pathlib import Path

    from feedsvc.core.db import get_session
    from feedsvc.rates.ingest.store import store_observations
    from feedsvc.rates.sources import all_source_classes

    upstream = Path(__file__).parent / "fixtures" / "upstream"
    tables = (("nbkr", "nbkr/daily.xml", date(2026, 5, 24)),
              ("nbk", "nbk/get_rates_fdate_01.04.2026.xml", date(2026, 4, 1)))
    with app.app_context():
        session = get_session()
        for name, path, day in tables:
            table = all_source_classes()[name]("").parse((upstream / path).read_bytes(), day)
            store_observations(session, name, day, table, datetime.now(UTC).replace(microsecond=0))
        session.commit()
