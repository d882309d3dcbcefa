"""stable article ids: SQLite AUTOINCREMENT on articles, and deleted_articles (tombstones for 410 Gone)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None
UTC_DATETIME = sa.DateTime(timezone=True)  # the app's UTCDateTime, as DDL: frozen here

LINK_TABLES = ("article_countries", "article_tags")


def upgrade() -> None:
    """Create deleted_articles; on SQLite rebuild articles with AUTOINCREMENT, keeping every row."""
    op.create_table(
        "deleted_articles",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("deleted_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deleted_articles")),
    )
    # PostgreSQL's serial sequence never hands out an id twice; SQLite without AUTOINCREMENT reuses
    # the highest id after it is deleted.
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_articles(autoincrement=True)


def downgrade() -> None:
    """Revert this revision (tombstones are lost; SQLite may reuse ids again)."""
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_articles(autoincrement=False)
    op.drop_table("deleted_articles")


def _rebuild_articles(autoincrement: bool) -> None:
    """Copy articles into a new table; the links to it are saved and put back around the copy.

    Dropping the old table deletes its rows first, and with foreign keys on that cascades to the link
    tables; the pragma cannot be switched off inside the migration's transaction.
    """
    # The table names are the constants above, never input.
    for table in LINK_TABLES:
        op.execute(f"CREATE TEMPORARY TABLE saved_{table} AS SELECT * FROM {table}")  # noqa: S608
    with op.batch_alter_table("articles", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass
    for table in LINK_TABLES:
        op.execute(f"DELETE FROM {table}")  # noqa: S608
        op.execute(f"INSERT INTO {table} SELECT * FROM saved_{table}")  # noqa: S608
        op.execute(f"DROP TABLE saved_{table}")
