"""Database engine, per-request sessions, migrations and country seeding."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from config import CountryConfig
from feedsvc.countries import ARTICLES_SCOPE, RATES_SCOPE, country_scope
from feedsvc.models import ChangeMarker, Country

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Pick our driver for a URL written as ``postgresql://...`` (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app: Flask) -> None:
    """Attach an engine and a session factory to the app; close the session after each request."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["feedsvc.engine"] = engine
    app.extensions["feedsvc.sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["feedsvc.engine"]


def get_session() -> Session:
    """The session of the current app context, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["feedsvc.sessions"]()
    return g.db_session


def new_session() -> Session:
    """A fresh session outside the request's (for jobs and CLI loops)."""
    return current_app.extensions["feedsvc.sessions"]()


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def upgrade_database(engine: Engine, countries: Iterable[CountryConfig]) -> None:
    """Create or migrate the schema to the newest revision, then seed the countries."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    with Session(engine) as session, session.begin():
        seed_countries(session, countries)


def seed_countries(session: Session, countries: Iterable[CountryConfig]) -> None:
    """Insert or update the configured countries and give each feed scope a change marker."""
    now = datetime.now(UTC).replace(microsecond=0)
    existing = {c.code: c for c in session.scalars(select(Country))}
    scopes = {m.scope for m in session.scalars(select(ChangeMarker))}
    for position, cfg in enumerate(countries):
        country = existing.get(cfg.code) or Country(code=cfg.code)
        country.slug, country.name = cfg.slug, cfg.name
        country.currency, country.position = cfg.currency, position
        session.add(country)
        if country_scope(cfg.slug) not in scopes:
            session.add(ChangeMarker(scope=country_scope(cfg.slug), revision=0, changed_at=now))
    for scope in (ARTICLES_SCOPE, RATES_SCOPE):
        if scope not in scopes:
            session.add(ChangeMarker(scope=scope, revision=0, changed_at=now))
