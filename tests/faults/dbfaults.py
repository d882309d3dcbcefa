"""Databases for the fault tests: scratch databases, an old schema filled with data, snapshots, the CLI.

The fault tests run the real ``feedsvc`` command in subprocesses, against databases of their own (a file
per test on SQLite, a database created and dropped per test on PostgreSQL), never the suite's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, make_url, text

from feedsvc.core.db import MIGRATIONS, make_engine, normalise_url

ROOT = Path(__file__).resolve().parents[2]
FEEDSVC = str(Path(sys.executable).with_name("feedsvc"))
FAULTY_CLI = str(Path(__file__).with_name("faulty_cli.py"))
POSTGRES_URL = os.environ.get("FEEDSVC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASES = [name.strip() for name in os.environ.get("FEEDSVC_TEST_DATABASES", "sqlite,postgresql").split(",")
             if name.strip()]
CLI_TIMEOUT = 180  # seconds: a CLI run of these tests takes a few; a hang fails instead of blocking CI


def scratch_postgres_name(suffix: str) -> str:
    """A database name of this test run (and pytest-xdist worker) only."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return "_".join(part for part in (make_url(POSTGRES_URL).database, worker, suffix) if part)


@contextmanager
def scratch_database(kind: str, directory: Path, suffix: str = "faults") -> Iterator[str]:
    """The URL of a new, empty database of ``kind``, dropped afterwards (PostgreSQL)."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / f'{suffix}.sqlite3'}"
        return
    name = scratch_postgres_name(suffix)
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:  # WITH (FORCE): a killed client's backend may linger
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest revision of the migrations."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def migrate(url: str, revision: str) -> None:
    """Bring the database at ``url`` to ``revision`` (an old schema, to fill before the rest)."""
    cfg = _alembic_config()
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


COUNTRIES = [(1, "kazakhstan", "kz", "Kazakhstan", "KZT"), (2, "kyrgyzstan", "kg", "Kyrgyzstan", "KGS"),
             (3, "tajikistan", "tj", "Tajikistan", "TJS"), (4, "uzbekistan", "uz", "Uzbekistan", "UZS"),
             (5, "turkmenistan", "tm", "Turkmenistan", "TMT")]
CURRENCIES = {"KZT": "471.20", "KGS": "87.45", "TJS": "10.90", "UZS": "12074.40", "TMT": "3.50"}
FIRST_DAY = date(2025, 1, 1)  # of the rate rows; the one anomaly is on it
FETCHED = "2025-06-02 06:00:00.000000"  # as SQLite stores a UTC datetime; PostgreSQL reads it in UTC


def fill_initial_schema(url: str, days: int = 40, articles: int = 30) -> None:
    """Fill a database at revision 0001 as that release wrote it: articles, links, a token, rates."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            _fill_articles(connection, articles)
            _fill_rates(connection, days)
            if connection.dialect.name == "postgresql":
                _advance_sequences(connection)
    finally:
        engine.dispose()


def _advance_sequences(connection) -> None:
    """Set each serial sequence to its table's highest id, as if it had handed those ids out."""
    tables = connection.execute(text(
        "SELECT table_name FROM information_schema.columns WHERE column_name = 'id' "
        "AND column_default LIKE 'nextval%' AND table_schema = 'public'")).scalars().all()
    for table in tables:
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), MAX(id)) "
                                f"FROM {table} HAVING MAX(id) IS NOT NULL"))  # noqa: S608 (catalog names)


def _fill_articles(connection, count: int) -> None:
    for row in COUNTRIES:
        connection.execute(text("INSERT INTO countries (id, slug, code, name, currency, position) "
                                "VALUES (:id, :slug, :code, :name, :currency, :id)"),
                           dict(zip(("id", "slug", "code", "name", "currency"), row, strict=True)))
    connection.execute(text("INSERT INTO tags (id, slug) VALUES (1, 'water'), (2, 'energy')"))
    connection.execute(text("INSERT INTO change_markers (scope, revision, changed_at) "
                            "VALUES ('articles', :count, :at)"), {"count": count, "at": FETCHED})
    connection.execute(text("INSERT INTO api_tokens (id, name, token_hash, created_at) "
                            "VALUES (1, 'desk', :hash, :at)"), {"hash": "ab" * 32, "at": FETCHED})
    for number in range(1, count + 1):
        connection.execute(text(
            "INSERT INTO articles (id, uuid, title, summary, content_html, language, published_at, "
            "updated_at) VALUES (:id, :uuid, :title, 'Summary', '<p>Body</p>', 'en', :at, :at)"),
            {"id": number, "uuid": f"00000000-0000-4000-8000-{number:012d}", "title": f"Story {number}",
             "at": f"2025-05-{1 + number % 28:02d} 08:00:00.000000"})
        connection.execute(text("INSERT INTO article_countries VALUES (:id, :country)"),
                           {"id": number, "country": 1 + number % 5})
        connection.execute(text("INSERT INTO article_tags VALUES (:id, :tag)"),
                           {"id": number, "tag": 1 + number % 2})


def _fill_rates(connection, days: int) -> None:
    rows = []
    for day in range(days):
        date = (FIRST_DAY + timedelta(days=day)).isoformat()
        for currency, value in CURRENCIES.items():
            rows.append({"source": "currency-api", "date": date, "currency": currency,
                         "value": f"{value}{day % 10}", "at": FETCHED})
    connection.execute(text("INSERT INTO rate_observations (source, date, currency, units_per_usd, "
                            "fetched_at) VALUES (:source, :date, :currency, :value, :at)"), rows)
    connection.execute(text("INSERT INTO rate_source_days (source, date, status, checked_at) "
                            "VALUES (:source, :date, 'ok', :at)"),
                       [row for row in rows if row["currency"] == "KZT"])
    connection.execute(text("INSERT INTO rate_anomalies (source, date, currency, value, reason, recorded_at) "
                            "VALUES ('nbk', :date, 'KZT', '999.00', 'jump', :at)"),
                       {"date": rows[0]["date"], "at": FETCHED})
    connection.execute(text("INSERT INTO rate_runs (source, job, started_at, finished_at, rows_written) "
                            "VALUES ('currency-api', 'backfill', :at, :at, :count)"),
                       {"at": FETCHED, "count": len(rows)})


def snapshot(url: str) -> dict[str, object]:
    """Every table's columns, indexes and rows (as text, sorted): equal snapshots, equal databases."""
    engine = make_engine(url)
    try:
        schema = inspect(engine)
        tables: dict[str, object] = {}
        with engine.connect() as connection:
            for name in sorted(schema.get_table_names()):
                columns = [column["name"] for column in schema.get_columns(name)]
                indexes = sorted(str(sorted(index.items())) for index in schema.get_indexes(name))
                rows = sorted(tuple(str(value) for value in row)
                              for row in connection.execute(text(f'SELECT * FROM "{name}"')))  # noqa: S608
                tables[name] = {"columns": columns, "indexes": indexes, "rows": rows}
        return tables
    finally:
        engine.dispose()


def rows_of(url: str, query: str) -> list[tuple]:
    """The rows ``query`` returns, as tuples."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(query))]
    finally:
        engine.dispose()


def cli_env(url: str, **extra: str) -> dict[str, str]:
    """The environment of a feedsvc command on ``url``: no scheduler, no FEEDSVC_* of the caller."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDSVC_")}
    return {**env, "FEEDSVC_DATABASE_URL": url, "FEEDSVC_SCHEDULER": "off", **extra}


def run_cli(url: str, *args: str, env: dict[str, str] | None = None,
            user: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``feedsvc ARGS`` on ``url`` to its end; its exit code and output as text."""
    return subprocess.run([FEEDSVC, *args], env=env or cli_env(url), cwd=ROOT, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=CLI_TIMEOUT, user=user, check=False)


def assert_one_line_failure(result: subprocess.CompletedProcess[str], kind: str) -> str:
    """The command exited non-zero, telling the outage in one last line and no traceback; that line.

    Progress lines before it (a backfill's "peg: 0 of 731 days done") are allowed; nothing after it.
    """
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert errors == [result.stderr.strip().splitlines()[-1]], output
    assert errors[0].startswith(f"Error: database {kind}: "), output
    return errors[0]
