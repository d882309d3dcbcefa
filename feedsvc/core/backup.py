"""Backups of the whole database while the service runs, and restores into an empty database.

SQLite: the online backup API copies every page inside one read transaction, the pages still in the WAL
included, into one self-contained file (copying the live file would miss them). PostgreSQL: ``pg_dump``
in its custom format (one snapshot, consistent while others write), restored by ``pg_restore`` in one
transaction.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import URL, Engine, inspect, text

# Seconds a dump or a restore may take before it is stopped (a hung server must not hang the command).
TOOL_TIMEOUT = 6 * 3600

# Where a PostgreSQL restore keeps the schema it replaces until the new one is complete.
SET_ASIDE = "feedsvc_replaced"


class BackupError(Exception):
    """A backup or restore that cannot be done, with what the operator can do about it."""


def backup_database(engine: Engine, path: Path) -> str:
    """Write a consistent copy of the database to ``path`` (a new file); say what was written."""
    if path.exists():
        raise BackupError(f"{path} exists; a backup never overwrites a file: choose a new path")
    partial = path.with_name(path.name + ".partial")  # never a half-written file at PATH
    try:
        if engine.dialect.name == "sqlite":
            _backup_sqlite(engine, partial)
        else:
            _run_tool(engine, "pg_dump", "--format=custom", f"--file={partial}")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return f"backed up the {engine.dialect.name} database to {path} ({path.stat().st_size} bytes)"


def restore_database(engine: Engine, path: Path, force: bool = False) -> str:
    """Replace the database's content with the backup at ``path``; say what was restored.

    The database must hold no table, unless ``force``: then everything in it is replaced.
    """
    tables = inspect(engine).get_table_names()
    if tables and not force:
        raise BackupError(f"the database already holds {len(tables)} tables; restoring replaces all of "
                          "them with the backup's: stop the service and rerun with --force to do so")
    if engine.dialect.name == "sqlite":
        _restore_sqlite(engine, path)  # the backup API replaces the pages in one transaction
    else:
        _restore_postgres(engine, path, replace=bool(tables))
    engine.dispose()  # no pooled connection may keep the schema it saw before
    with engine.connect() as connection:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return f"restored {path} (schema revision {revision}); run `feedsvc db upgrade` if it is older"


def _backup_sqlite(engine: Engine, target: Path) -> None:
    with engine.connect() as connection:  # the app's connection: its busy timeout, WAL and all
        source = connection.connection.driver_connection
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # type: ignore[union-attr]  # in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
            _check(copy, target)
        finally:
            copy.close()


def _restore_sqlite(engine: Engine, path: Path) -> None:
    try:
        backup = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path}: cannot be opened as a SQLite backup: {exc}") from None
    try:
        _check(backup, path)
        with engine.connect() as connection:
            backup.backup(connection.connection.driver_connection)  # type: ignore[arg-type]
    finally:
        backup.close()


def _restore_postgres(engine: Engine, path: Path, replace: bool) -> None:
    """pg_restore in one transaction; a schema it replaces is set aside until the restore succeeded."""
    _run_tool(engine, "pg_restore", "--list", str(path))  # not an archive: fail before touching anything
    if replace:
        _run_sql(engine, f"DROP SCHEMA IF EXISTS {SET_ASIDE} CASCADE",
                 f"ALTER SCHEMA public RENAME TO {SET_ASIDE}", "CREATE SCHEMA public")
    try:
        _run_tool(engine, "pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                  str(path))
    except BackupError:
        if replace:  # the failed restore left public empty: the old schema goes back
            _run_sql(engine, "DROP SCHEMA public CASCADE", f"ALTER SCHEMA {SET_ASIDE} RENAME TO public")
        raise
    if replace:
        _run_sql(engine, f"DROP SCHEMA {SET_ASIDE} CASCADE")


def _run_sql(engine: Engine, *statements: str) -> None:
    """Run ``statements`` (built from constants only) in one transaction."""
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def _check(connection: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not a sound feedsvc database."""
    try:
        verdict = connection.execute("PRAGMA quick_check").fetchone()[0]
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path}: not a feedsvc SQLite backup: {exc}") from None
    if verdict != "ok" or revision is None:
        raise BackupError(f"{path}: not a sound feedsvc database ({verdict}, revision {revision})")


def _run_tool(engine: Engine, name: str, *args: str) -> None:
    """Run pg_dump or pg_restore on the engine's database; its error output on failure."""
    tool = _postgres_tool(engine, name)
    url: URL = engine.url
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where `ps` shows it
    dbname = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    try:
        done = subprocess.run([tool, *args, f"--dbname={dbname}"],  # noqa: S603 (our arguments, no shell)
                              env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{name} did not finish in {TOOL_TIMEOUT // 3600} hours") from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise BackupError(f"{name} failed: {detail[0] if detail else f'exit {done.returncode}'}")


def _postgres_tool(engine: Engine, name: str) -> str:
    """The path of ``name``, checked to be as new as the server (older ones refuse newer servers)."""
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(f"{name} not found on PATH: install the PostgreSQL client tools "
                          "(Debian: postgresql-client) of the server's major version")
    version = subprocess.run([tool, "--version"],  # noqa: S603 (a tool found on PATH, no shell)
                             capture_output=True, text=True, timeout=30, check=False)
    found = re.search(r"(\d+)(?:\.\d+)?", version.stdout)
    tool_major = int(found.group(1)) if found else 0
    with engine.connect() as connection:
        server_major = int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000
    if tool_major < server_major:
        raise BackupError(f"{name} is version {tool_major}, older than the server ({server_major}): "
                          f"install the client tools of version {server_major} or later")
    return tool
