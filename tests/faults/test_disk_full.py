"""A full disk: each writing command fails in one line, loses nothing, and runs again later.

SQLite on a real small filesystem (a tmpfs filled up to a few KB) where the test may mount one, and
everywhere with SQLite's own page cap (``PRAGMA max_page_count``, set by a hook the code under test cannot
notice), which answers "database or disk is full" exactly as a full disk does. PostgreSQL with its tables
in a tablespace on a small tmpfs, filled up.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cli_cases import COMMANDS, prepare
from conditions import compact, fill_up, page_count, postgres_on_small_filesystem, small_filesystem
from dbfaults import (
    DATABASES,
    FAULTY_CLI,
    POSTGRES_URL,
    ROOT,
    assert_one_line_failure,
    cli_env,
    fill_initial_schema,
    migrate,
    rows_of,
    run_cli,
    scratch_postgres_name,
    snapshot,
)

from feedsvc.core.db import normalise_url

KEEP_FREE = 40 * 1024  # SQLite's shared-memory index (32 KB) fits; a couple of WAL frames more do not


def assert_rerun_completes(command: str, url: str, args: tuple[str, ...]) -> None:
    """The same command, run again with room to write, finishes the work with nothing twice."""
    rerun = run_cli(url, *args)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    if command == "articles import":
        assert rows_of(url, "SELECT COUNT(*), COUNT(DISTINCT external_id) FROM articles "
                            "WHERE external_id LIKE 'import-%'") == [(200, 200)]
    if command == "rates backfill":
        assert rows_of(url, "SELECT COUNT(*) FROM rate_source_days WHERE source = 'peg' "
                            "AND date BETWEEN '2024-07-01' AND '2024-12-31'") == [(184,)]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_full_filesystem_stops_the_command_in_one_line(command, tmp_path) -> None:
    with small_filesystem(tmp_path / "small") as small:
        url = f"sqlite:///{small / 'feedsvc.sqlite3'}"
        args = prepare(command, url, tmp_path)
        before = snapshot(url)
        filler = fill_up(small, KEEP_FREE)

        assert_one_line_failure(run_cli(url, *args), "disk full")

        filler.unlink()  # the operator makes room
        if command == "db upgrade":
            assert snapshot(url) == before  # all or nothing: still the old release's schema and rows
        assert_rerun_completes(command, url, args)


# A 14-day "rates update" may fit in the pages the file already has: the cap bites on growth only.
@pytest.mark.parametrize("command", [name for name in COMMANDS if name != "rates update"])
def test_a_database_at_its_page_cap_stops_the_command_in_one_line(command, tmp_path: Path) -> None:
    path = tmp_path / "feedsvc.sqlite3"
    url = f"sqlite:///{path}"
    args = prepare(command, url, tmp_path)
    compact(path)
    before = snapshot(url)

    cap = ["--max-page-count", str(page_count(path))]
    capped = subprocess.run([sys.executable, FAULTY_CLI, *cap, "--", *args], env=cli_env(url), cwd=ROOT,
                            capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
                            check=False)

    assert_one_line_failure(capped, "disk full")
    if command == "db upgrade":
        assert snapshot(url) == before
    assert_rerun_completes(command, url, args)


@pytest.mark.skipif("postgresql" not in DATABASES, reason="PostgreSQL is not among FEEDSVC_TEST_DATABASES")
def test_a_full_tablespace_stops_the_postgresql_upgrade_in_one_line() -> None:
    name = scratch_postgres_name("small")
    with postgres_on_small_filesystem(normalise_url(POSTGRES_URL), name) as (url, mount):
        migrate(url, "0001")
        fill_initial_schema(url, days=300, articles=200)
        before = snapshot(url)
        filler = fill_up(mount, 64 * 1024)

        assert_one_line_failure(run_cli(url, "db", "upgrade"), "disk full")

        filler.unlink()
        assert snapshot(url) == before
        rerun = run_cli(url, "db", "upgrade")
        assert rerun.returncode == 0, rerun.stderr
        assert rows_of(url, "SELECT COUNT(*) FROM rate_served") == [(1500,)]
