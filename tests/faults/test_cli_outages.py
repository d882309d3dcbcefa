"""The CLI on a database it cannot use: a read-only file, a lock held past the busy timeout, PostgreSQL
down. Each writing command says what happened in one line, exits non-zero, and writes nothing.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from cli_cases import BACKFILL, COMMANDS, UPDATE, prepare, write_articles
from conditions import read_only_file, write_lock_held
from dbfaults import assert_one_line_failure, cli_env, run_cli, snapshot

import config
from feedsvc import create_app


def sqlite_database(tmp_path: Path, command: str) -> tuple[Path, str, tuple[str, ...]]:
    """A SQLite file prepared for ``command``: its path, URL and the command's arguments."""
    path = tmp_path / "feedsvc.sqlite3"
    url = f"sqlite:///{path}"
    return path, url, prepare(command, url, tmp_path)


@pytest.mark.parametrize("command", COMMANDS)
def test_a_read_only_database_file_stops_the_command_in_one_line(command, tmp_path) -> None:
    path, url, args = sqlite_database(tmp_path, command)
    before = snapshot(url)
    with read_only_file(path):
        assert_one_line_failure(run_cli(url, *args), "read-only")
    assert snapshot(url) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_a_lock_held_past_the_busy_timeout_stops_the_command_in_one_line(command, tmp_path) -> None:
    path, url, args = sqlite_database(tmp_path, command)
    before = snapshot(url)
    with write_lock_held(path):  # another process's long write transaction, as seen by this one
        result = run_cli(url, *args, env=cli_env(url, FEEDSVC_DB_STATEMENT_TIMEOUT="1"))
    assert_one_line_failure(result, "locked")
    assert snapshot(url) == before


def closed_port() -> int:
    """A port of 127.0.0.1 nothing listens on (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_postgresql_stops_the_command_in_one_line(command, tmp_path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/feedsvc"
    args = {"db upgrade": ("db", "upgrade"),
            "articles import": ("articles", "import", str(write_articles(tmp_path / "a.ndjson", 3))),
            "rates backfill": BACKFILL, "rates update": UPDATE}[command]
    line = assert_one_line_failure(run_cli(url, *args), "unreachable")
    assert "Connection refused" in line


def test_the_scheduler_logs_an_outage_in_one_line(tmp_path, caplog) -> None:
    from feedsvc.scheduler import run_update_job

    path, url, _ = sqlite_database(tmp_path, "rates update")
    app = create_app(config.TestConfig(DATABASE_URL=url, DB_STATEMENT_TIMEOUT=0.5))
    try:
        with write_lock_held(path), caplog.at_level(logging.INFO, logger="feedsvc.scheduler"):
            run_update_job(app, ("peg",))
    finally:
        app.extensions["feedsvc.engine"].dispose()
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert errors == ["rates update peg: database locked: database is locked"]
    assert all(record.exc_info is None for record in caplog.records)
