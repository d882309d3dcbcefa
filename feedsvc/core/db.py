"""Database engine, per-request sessions, migrations and country seeding."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from sqlalchemy import Connection, Engine, create_engine, event, make_url, select, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from config import CountryConfig
from feedsvc.core.countries import ARTICLES_SCOPE, RATES_SCOPE, country_scope
from feedsvc.core.dbwatch import DatabaseWatch
from feedsvc.core.models import ChangeMarker, Country

MIGRATIONS = Path(__file__).parent.parent / "migrations"


def normalise_url(url: str) -> str:
    """Pick our driver for a URL written as ``postgresql://...`` (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(busy_ms: int) -> Callable[[object, object], None]:
    def set_pragmas(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()

    return set_pragmas


# TCP keepalives (idle 10 s, then every 5 s, 3 lost: a dead peer found in 25 s) and a 9 s bound on
# unacknowledged data end connections to a host that vanished; a server that is up but hung is for
# DatabaseWatch (dbwatch.py). Both stay below the 10 s in which every request must have its answer.
TCP_OPTIONS = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
               "tcp_user_timeout": 9000}


def make_engine(url: str, connect_timeout: float = 5.0, statement_timeout: float = 30.0) -> Engine:
    """Create an engine that fails in time: connect and statement timeouts (SQLite: its busy timeout).

    SQLite also gets WAL and foreign keys; PostgreSQL TCP keepalives and a watch for a hung server.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": statement_timeout})
        event.listen(engine, "connect", _sqlite_pragmas(int(statement_timeout * 1000)))
        return engine
    # libpq rounds connect_timeout down to whole seconds, and up to at least 2.
    options = {"connect_timeout": max(2, int(connect_timeout)),
               "options": f"-c statement_timeout={int(statement_timeout * 1000)}", **TCP_OPTIONS}
    engine = create_engine(url, pool_pre_ping=True, pool_timeout=connect_timeout, connect_args=options)
    _watch(engine, DatabaseWatch(make_url(url).set(drivername="postgresql").render_as_string(False),
                                 {"connect_timeout": 2, **TCP_OPTIONS}))
    return engine


def _watch(engine: Engine, watch: DatabaseWatch) -> None:
    """Let ``watch`` see every connection of ``engine`` and refuse new ones while the server is hung."""
    event.listen(engine, "do_connect", lambda *_args: watch.check_connect())
    event.listen(engine, "connect", lambda dbapi_connection, _record: watch.add(dbapi_connection))
    event.listen(engine, "engine_disposed", lambda _engine: watch.stop())


def init_app(app: Flask) -> None:
    """Attach an engine and a session factory to the app; close the session after each request."""
    config = app.config
    engine = make_engine(config["DATABASE_URL"], config["DB_CONNECT_TIMEOUT"], config["DB_STATEMENT_TIMEOUT"])
    app.extensions["feedsvc.engine"] = engine
    app.extensions["feedsvc.sessions"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["feedsvc.probe"] = Probe(engine)
    app.teardown_appcontext(_close_session)


# A database gone, too slow, full or read-only, as opposed to a bug (a syntax error, a constraint).
# What may be an outage (outage_kind decides): the wrapped and the bare driver errors.
DRIVER_OUTAGES = (DBAPIError, PoolTimeout, psycopg.Error, sqlite3.OperationalError)
SQLITE_OUTAGES = {"database is locked": "locked", "database table is locked": "locked",
                  "unable to open database file": "unreachable", "disk I/O error": "unreachable",
                  "database or disk is full": "disk full",
                  "attempt to write a readonly database": "read-only"}
# PostgreSQL's errors by class, most specific first (psycopg.errors mirrors SQLSTATE).
POSTGRES_OUTAGES = (
    (psycopg.errors.QueryCanceled, "statement timeout"),
    (psycopg.errors.ConnectionTimeout, "connect timeout"),
    (psycopg.errors.LockNotAvailable, "locked"),
    (psycopg.errors.DiskFull, "disk full"),
    (psycopg.errors.ReadOnlySqlTransaction, "read-only"),
    (psycopg.errors.InsufficientResources, "out of resources"),
    (psycopg.OperationalError, "unreachable"),
)


def outage_kind(exc: BaseException) -> str | None:
    """What kind of database outage ``exc`` is (``unreachable``, ``disk full``, ...), or None for a bug."""
    if isinstance(exc, PoolTimeout):
        return "pool exhausted"
    # The driver's own error arrives bare from raw connections (the change-marker reader's).
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    for error, kind in POSTGRES_OUTAGES:
        if isinstance(orig, error):
            return kind
    if getattr(exc, "connection_invalidated", False):
        return "unreachable"
    if isinstance(orig, sqlite3.OperationalError):
        return next((kind for text, kind in SQLITE_OUTAGES.items() if str(orig).startswith(text)), None)
    return None


def outage_detail(exc: BaseException) -> str:
    """The driver's first line (it names host and port, never the password): no SQL, no traceback."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return detail[0][:300] if detail else type(exc).__name__


def describe_outage(kind: str, exc: BaseException) -> str:
    """``database <kind>: <the driver's first line>``."""
    return f"database {kind}: {outage_detail(exc)}"


class Probe:
    """``SELECT 1`` with an answer in bounded time, whatever the database does (for /healthz).

    libpq waits at least 2 s to connect and a hung server never ends a query, so the check runs in one
    background thread; callers wait for it at most their timeout, and share it while it runs.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lock = threading.Lock()
        self.running: Future[None] | None = None
        self.executor: ThreadPoolExecutor | None = None
        event.listen(engine, "engine_disposed", lambda _engine: self.close())

    def reachable(self, timeout: float) -> bool:
        """True when the database answered ``SELECT 1`` within ``timeout`` seconds."""
        with self.lock:
            if self.running is None or self.running.done():
                self.executor = self.executor or ThreadPoolExecutor(1, thread_name_prefix="db-probe")
                self.running = self.executor.submit(self._ping)
            running = self.running
        try:
            running.result(timeout)
        except (FutureTimeout, SQLAlchemyError):
            return False
        return True

    def close(self) -> None:
        """Let the probe's thread end (the engine is being disposed)."""
        with self.lock:
            if self.executor is not None:
                self.executor.shutdown(wait=False)
            self.executor = self.running = None

    def _ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))


def probe_database(timeout: float) -> bool:
    """True when the current app's database answers within ``timeout`` seconds."""
    return current_app.extensions["feedsvc.probe"].reachable(timeout)


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
    if session is None:
        return
    try:
        session.close()  # rolls back what the request left open: on a dropped connection, that fails
    except DRIVER_OUTAGES as exc:
        if outage_kind(exc) is None:
            raise
        session.invalidate()  # the connection is gone: nothing to roll back, nothing to return to the pool
        note_outage = current_app.extensions.get("feedsvc.outages")
        if note_outage is not None:
            note_outage.note(outage_kind(exc), exc)


def upgrade_database(engine: Engine, countries: Iterable[CountryConfig]) -> None:
    """Create or migrate the schema to the newest revision and seed the countries, all or nothing.

    Every migration, the version stamp and the seeding share one transaction: a kill, a full disk or
    any error leaves the database exactly as the previous release left it (that release can keep
    serving it), and running the upgrade again starts over from there.
    """
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with transactional_ddl(engine) as connection:
        if connection.dialect.name == "postgresql":  # a migration may rewrite a big table: no time limit
            connection.execute(text("SET LOCAL statement_timeout = 0"))
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
        with Session(bind=connection) as session:  # joins the transaction; committing is ours
            seed_countries(session, countries)
            session.flush()


@contextmanager
def transactional_ddl(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction that covers DDL too, committed when the block ends.

    pysqlite begins a transaction only before INSERT/UPDATE/DELETE, so a CREATE TABLE before those runs
    (and stays) on its own. As SQLAlchemy documents for pysqlite, this connection turns the driver's
    transaction handling off and emits BEGIN itself. IMMEDIATE takes the write lock at once (waiting up
    to the busy timeout), so no other writer can slip in between the reads and writes of a migration.
    The app's own sessions keep the driver's handling: their reads then take no snapshot that a later
    write would have to upgrade, which SQLite refuses at once instead of waiting.
    """
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                yield connection
            return
        driver = connection.connection.driver_connection
        previous = driver.isolation_level  # type: ignore[union-attr]
        driver.isolation_level = None  # type: ignore[union-attr]
        try:
            with connection.begin():
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                yield connection
        finally:
            driver.isolation_level = previous  # type: ignore[union-attr]  # the app's handling again


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
