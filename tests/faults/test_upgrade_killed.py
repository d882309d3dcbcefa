"""``feedsvc db upgrade`` killed (SIGKILL) inside a migration that moves rows: nothing of it stays.

The database starts at revision 0001, filled as that release wrote it; the upgrade is stopped for good
inside the migration named (the statement it was about to send, picked by a hook in the process that the
migration cannot notice), then killed. Every table, column, index and row must be as before, and the
next ``db upgrade`` must succeed with the data intact.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dbfaults import (
    DATABASES,
    FAULTY_CLI,
    ROOT,
    cli_env,
    fill_initial_schema,
    head_revision,
    migrate,
    rows_of,
    run_cli,
    scratch_database,
    snapshot,
)

import config
from feedsvc.core.db import make_engine, upgrade_database

STALL_TIMEOUT = 60.0  # seconds for the upgrade to reach the statement
# The revision, the statement to stop before and which match: inside each migration that moves rows.
# 0006 and 0007 stop at their second row-moving statement, so part of their fill is already written.
KILL_POINTS = {
    "0002": (r"(?s)^\s*INSERT INTO rate_served\b", 1),
    "0004": (r"(?s)^\s*INSERT INTO _alembic_tmp_articles\b", 1),  # the copy into the rebuilt table
    "0006": (None, 2),
    "0007": (None, 2),
}
# PostgreSQL's 0004 moves no rows (its sequence already never reuses an id): stop at its DDL.
POSTGRES_0004 = (r"(?s)^\s*CREATE TABLE deleted_articles\b", 1)


def start_stalled_upgrade(url: str, revision: str, pattern: str | None, nth: int,
                          ready: Path, log: Path) -> subprocess.Popen[bytes]:
    """``feedsvc db upgrade`` in a subprocess that stops for good inside ``revision``."""
    stall = ["--stall-in", revision, "--stall-nth", str(nth), "--ready", str(ready)]
    if pattern:
        stall += ["--stall-at", pattern]
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, FAULTY_CLI, *stall, "--", "db", "upgrade"], env=cli_env(url),
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def wait_until_stalled(proc: subprocess.Popen[bytes], ready: Path, log: Path) -> str:
    """The statement the upgrade stopped before, once it has stopped there."""
    deadline = time.monotonic() + STALL_TIMEOUT
    while time.monotonic() < deadline:
        if ready.exists() and ready.read_text():
            return ready.read_text()
        if proc.poll() is not None:
            raise AssertionError(f"the upgrade ended ({proc.returncode}) first:\n{log.read_text()}")
        time.sleep(0.05)
    raise AssertionError(f"the upgrade did not reach the kill point in {STALL_TIMEOUT} s:\n{log.read_text()}")


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc`` and reap it."""
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.mark.parametrize("db_kind", DATABASES)
@pytest.mark.parametrize("revision", sorted(KILL_POINTS))
def test_an_upgrade_killed_inside_a_migration_leaves_the_database_as_it_was(db_kind, revision,
                                                                            tmp_path) -> None:
    pattern, nth = POSTGRES_0004 if (db_kind, revision) == ("postgresql", "0004") else KILL_POINTS[revision]
    with scratch_database(db_kind, tmp_path) as url:
        migrate(url, "0001")
        fill_initial_schema(url)
        before = snapshot(url)
        ready, log = tmp_path / "stalled", tmp_path / "upgrade.log"
        proc = start_stalled_upgrade(url, revision, pattern, nth, ready, log)
        try:
            wait_until_stalled(proc, ready, log)
        finally:
            kill(proc)

        assert snapshot(url) == before  # not one table, column, index or row of 0002.. left behind

        rerun = run_cli(url, "db", "upgrade")
        assert rerun.returncode == 0, rerun.stderr
        assert rows_of(url, "SELECT version_num FROM alembic_version") == [(head_revision(),)]
        articles = sorted((int(row[0]), row[1], row[2]) for row in before["articles"]["rows"])
        assert rows_of(url, "SELECT id, uuid, title FROM articles ORDER BY id") == articles
        observations = rows_of(url, "SELECT COUNT(*) FROM rate_observations")[0][0]
        assert observations == len(before["rate_observations"]["rows"])
        assert rows_of(url, "SELECT COUNT(*) FROM rate_served")[0][0] == observations  # filled by 0002
        assert rows_of(url, "SELECT COUNT(*) FROM rate_served WHERE usd_rate IS NULL") == [(0,)]  # by 0006
        months = rows_of(url, "SELECT SUM(count) FROM rate_served_months")[0][0]  # by 0007
        assert months == observations



def test_the_upgrade_hands_back_connections_as_the_app_uses_them(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", statement_timeout=7)
    try:
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert driver.isolation_level == ""  # pysqlite's own transactions again, for the app's sessions
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
