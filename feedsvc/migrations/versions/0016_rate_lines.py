"""rate_lines, rate_line_pairs, rate_line_days: every published pair's day rows as /rates.csv shows them

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 19:10:00

Only the tables: their rows are computed by the application's own resolution of pairs, which a frozen
migration must not import. ``feedsvc db upgrade`` (and ``run``, ``demo``, every ingest) fills them after
this revision, as it re-renders ``rate_served`` for a new format: no ``rate_served_priority`` row 3 yet
means "never computed".
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the stored lines, the days waiting for a refresh, and the list of pairs they hold."""
    op.create_table(
        "rate_lines",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.Column("rate", sa.Text(), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("repeat", sa.Text(), nullable=False),
        sa.Column("change", sa.Text(), nullable=True),
        sa.Column("prev_date", sa.Date(), nullable=True),
        sa.Column("observed", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "base", "quote", "date", name=op.f("pk_rate_lines")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rate_line_days",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("scope", "date", "source", name=op.f("pk_rate_line_days")),
    )
    op.create_table(
        "rate_line_pairs",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("base", sa.String(length=3), nullable=False),
        sa.Column("quote", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("scope", "base", "quote", name=op.f("pk_rate_line_pairs")),
    )


def downgrade() -> None:
    """Revert this revision (the stored lines are computed again from the observations if needed)."""
    op.drop_table("rate_line_pairs")
    op.drop_table("rate_line_days")
    op.drop_table("rate_lines")
