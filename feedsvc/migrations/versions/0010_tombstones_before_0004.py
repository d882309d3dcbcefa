"""tombstones for the article ids deleted before 0004, and SQLite's sequence past every id ever handed out

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:00:00

Before 0004 nothing recorded a deletion, and SQLite (no AUTOINCREMENT yet) gave a new article the highest
id plus one, so deleting the newest article freed its id for the next one. What is knowable now:

- every id below the highest id ever handed out that is neither an article nor a tombstone was deleted:
  SQLite's ids never skipped a number (highest plus one); PostgreSQL's sequence skips one only for an
  insert that rolled back, which the API's checks before inserting make rare;
- the highest id ever handed out: on PostgreSQL the sequence's last value; on SQLite no table holds it
  once the newest articles are deleted, but it is at most the number of articles created before 0004
  (then AUTOINCREMENT's sequence), and every release before 0004 advanced the "articles" change marker
  by one on each create (and each edit and delete), so that revision, less the deletions seen as gaps,
  bounds it from above.

So every id up to that bound that is not an article gets a tombstone (410 Gone), and SQLite's sequence
starts after it: no id is ever handed out twice. On SQLite the bound may pass the true highest id by the
number of edits; those ids never existed and answer 410 as well, which is harmless. Run at once after
0004 when upgrading an older database (one transaction), and again on a database that already ran 0004.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None
UTC_DATETIME = sa.DateTime(timezone=True)  # the app's UTCDateTime, as DDL: frozen here
ARTICLES_SCOPE = "articles"  # the change marker every article write advances: frozen here

TOMBSTONE_GAPS = sa.text("""
    WITH RECURSIVE ids(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM ids WHERE id < :highest)
    INSERT INTO deleted_articles (id, deleted_at)
    SELECT id, :now FROM ids
    WHERE id NOT IN (SELECT id FROM articles) AND id NOT IN (SELECT id FROM deleted_articles)
""").bindparams(sa.bindparam("now", type_=UTC_DATETIME))


def upgrade() -> None:
    """Tombstone every id up to the highest ever handed out that is no article; SQLite: move past it."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    highest = _highest_sqlite_id(bind) if sqlite else _highest_postgres_id(bind)
    if highest < 1:
        return
    # The time of the deletion is unknown; the migration's time says "gone by then". SQLite keeps it naive.
    now = datetime.now(UTC).replace(microsecond=0)
    bind.execute(TOMBSTONE_GAPS, {"highest": highest, "now": now.replace(tzinfo=None) if sqlite else now})
    if sqlite:
        _move_sqlite_sequence(bind, highest)


def downgrade() -> None:
    """Nothing to revert: the tombstones stay true, and SQLite's sequence cannot go back safely."""


def _scalar(bind: sa.Connection, sql: str, **params: object) -> int:
    return bind.execute(sa.text(sql), params).scalar() or 0


def _highest_postgres_id(bind: sa.Connection) -> int:
    """The highest id the articles sequence handed out (or an article or tombstone holds)."""
    # last_value is None until the sequence is first used (and never below what it handed out).
    handed_out = _scalar(bind, "SELECT last_value FROM pg_sequences WHERE format('%I.%I', schemaname, "
                               "sequencename) = pg_get_serial_sequence('articles', 'id')")
    return max(handed_out, _known_highest(bind))


def _highest_sqlite_id(bind: sa.Connection) -> int:
    """The bound above which SQLite never handed out an article id (see the module's docstring)."""
    sequence = _scalar(bind, "SELECT seq FROM sqlite_sequence WHERE name = 'articles'")
    revision = bind.execute(sa.text("SELECT revision FROM change_markers WHERE scope = :scope"),
                            {"scope": ARTICLES_SCOPE}).scalar() or 0
    known = _known_highest(bind)
    # An id below the highest known one that is neither an article nor a tombstone was deleted before
    # 0004, which advanced the revision once more beyond the create it undid. (Later deletions left a
    # tombstone; they are not subtracted, so a write that bumped the marker once for many rows cannot
    # make the bound too low.)
    kept = _scalar(bind, "SELECT COUNT(*) FROM articles WHERE id <= :known", known=known)
    tombstoned = _scalar(bind, "SELECT COUNT(*) FROM deleted_articles WHERE id <= :known", known=known)
    return max(sequence, known, revision - (known - kept - tombstoned))


def _known_highest(bind: sa.Connection) -> int:
    """The highest id an article or a tombstone holds."""
    return max(_scalar(bind, "SELECT MAX(id) FROM articles"),
               _scalar(bind, "SELECT MAX(id) FROM deleted_articles"))


def _move_sqlite_sequence(bind: sa.Connection, highest: int) -> None:
    """Make SQLite's AUTOINCREMENT hand out ids above ``highest`` only."""
    updated = bind.execute(
        sa.text("UPDATE sqlite_sequence SET seq = MAX(seq, :highest) WHERE name = 'articles'"),
        {"highest": highest})
    if updated.rowcount == 0:
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('articles', :highest)"),
                     {"highest": highest})
