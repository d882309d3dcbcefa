"""Run the real ``feedsvc`` command with a fault the code under test cannot notice (test-only).

    python faulty_cli.py [--stall-in REV --stall-at REGEX --stall-nth N --ready FILE] [--max-page-count N]
                         -- ARGS...

``--stall-in``: once migration REV runs, the Nth statement matching REGEX is never sent: the process
writes the statement to FILE and sleeps until the test kills it (SIGKILL), so the kill lands inside REV.
``--max-page-count``: every SQLite connection may grow the database to N pages only (SQLite then answers
"database or disk is full", as on a full disk).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

# A statement that moves rows, other than Alembic's own version stamp.
DATA_STATEMENT = r"(?s)^\s*(INSERT|UPDATE|DELETE)\b(?!.*alembic_version)"
STALL_SECONDS = 120  # bounded: a test that forgets its kill still ends


class MigrationWatch(logging.Handler):
    """Keeps the revision Alembic is running, from its "Running upgrade A -> B" log line."""

    revision: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Note the revision a starting step migrates to."""
        found = re.match(r"Running upgrade \S* -> (\S+),", record.getMessage())
        if found:
            MigrationWatch.revision = found.group(1)


def stall_inside(revision: str, pattern: re.Pattern[str], nth: int, ready: Path) -> None:
    """Stop for good before the ``nth`` statement matching ``pattern`` that ``revision`` runs."""
    logger = logging.getLogger("alembic.runtime.migration")
    logger.setLevel(logging.INFO)
    logger.addHandler(MigrationWatch())
    seen = 0

    @event.listens_for(Engine, "before_cursor_execute")
    def stall(_conn, _cursor, statement, _params, _context, _many) -> None:  # noqa: ANN001
        nonlocal seen
        if MigrationWatch.revision == revision and pattern.search(statement):
            seen += 1
            if seen == nth:
                ready.write_text(statement)
                time.sleep(STALL_SECONDS)


def limit_pages(pages: int) -> None:
    """Let every SQLite connection grow the database to ``pages`` pages only."""

    @event.listens_for(Engine, "connect")
    def limit(dbapi_connection, _record) -> None:  # noqa: ANN001
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute(f"PRAGMA max_page_count={pages}")


def main() -> None:
    """Install the faults asked for, then run feedsvc with the remaining arguments."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--stall-in")
    parser.add_argument("--stall-at", default=DATA_STATEMENT)
    parser.add_argument("--stall-nth", type=int, default=1)
    parser.add_argument("--ready", type=Path)
    parser.add_argument("--max-page-count", type=int)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    if options.stall_in:
        stall_inside(options.stall_in, re.compile(options.stall_at, re.IGNORECASE), options.stall_nth,
                     options.ready)
    if options.max_page_count:
        limit_pages(options.max_page_count)
    from feedsvc.cli import main as feedsvc

    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    feedsvc(args=args, prog_name="feedsvc")


if __name__ == "__main__":
    sys.exit(main())
