"""Change markers: a committed bump is read at once, on connections that keep no snapshot."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from feedsvc.core.changes import EPOCH, bump_markers, read_marker
from feedsvc.core.db import get_engine, new_session

T0 = datetime(2025, 3, 1, 9, 0, 0, 250_000, tzinfo=UTC)


def test_a_committed_bump_is_read_at_once(app) -> None:
    with app.app_context():
        before = read_marker("articles")
        with new_session() as session:
            bump_markers(session, ["articles"], T0)
            assert read_marker("articles").revision == before.revision  # not committed yet
            assert read_marker("articles", session).revision == before.revision + 1  # as the writer sees it
            session.commit()
        after = read_marker("articles")
    assert after.revision == before.revision + 1
    assert after.changed_at == T0.replace(microsecond=0)  # whole seconds, as HTTP dates have


def test_a_scope_without_a_row_reads_as_revision_zero(app) -> None:
    with app.app_context():
        assert (read_marker("articles:atlantis").revision, read_marker("articles:atlantis").changed_at) == (
            0, EPOCH)


def test_a_connection_lost_while_idle_is_replaced(app, db_name) -> None:
    with app.app_context():
        revision = read_marker("articles").revision  # leaves one idle connection
        if db_name == "postgresql":  # the server drops it, as after a restart
            with get_engine().connect() as conn:
                dropped = conn.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
                )).all()
            assert dropped
        else:  # SQLite has no server: the connection itself goes away
            idle = app.extensions["feedsvc.markers"].idle.get_nowait()
            idle.close()
            app.extensions["feedsvc.markers"].idle.put(idle)
        assert read_marker("articles").revision == revision


def test_disposing_the_engine_closes_the_idle_connections(app) -> None:
    with app.app_context():
        read_marker("articles")
        reader = app.extensions["feedsvc.markers"]
        assert reader.idle.qsize() == 1
        get_engine().dispose()
        assert reader.idle.qsize() == 0
