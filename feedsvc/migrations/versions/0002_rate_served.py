"""rate_served: the served value per (date, currency), materialised on write

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 08:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None
EXACT_DECIMAL = sa.Numeric().with_variant(sa.String(48), "sqlite")  # the app's ExactDecimal, as DDL

# The registry's default order when this revision was written. Frozen here on purpose: a migration
# must not change with later code. An app configured otherwise recomputes the table at
# `feedsvc db upgrade` (feedsvc/rates/served.py, ensure_priority), seeing this row differ.
DEFAULT_PRIORITY = ("nbk", "nbkr", "nbt", "cbu", "cbt", "peg", "currency-api")


def upgrade() -> None:
    """Create rate_served and rate_served_priority, and fill them from the stored observations."""
    op.create_table(
        "rate_served",
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("units_per_usd", EXACT_DECIMAL, nullable=False),
        sa.PrimaryKeyConstraint("date", "currency", name=op.f("pk_rate_served")),
    )
    op.create_table(
        "rate_served_priority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_served_priority")),
    )
    ranks = " ".join(f"WHEN '{name}' THEN {rank}" for rank, name in enumerate(DEFAULT_PRIORITY))
    names = ", ".join(f"'{name}'" for name in DEFAULT_PRIORITY)
    # What the read side resolved per request until now: the first source by priority, held-back
    # ("disagree") values skipped.
    op.execute(f"""
        INSERT INTO rate_served (date, currency, source, units_per_usd)
        SELECT date, currency, source, units_per_usd FROM (
            SELECT o.date, o.currency, o.source, o.units_per_usd,
                   ROW_NUMBER() OVER (PARTITION BY o.date, o.currency
                                      ORDER BY CASE o.source {ranks} END) AS rank
            FROM rate_observations o
            WHERE o.source IN ({names}) AND NOT EXISTS (
                SELECT 1 FROM rate_anomalies a
                WHERE a.reason = 'disagree' AND a.source = o.source AND a.date = o.date
                  AND a.currency = o.currency)
        ) ranked
        WHERE rank = 1
    """)  # noqa: S608 (only the constants above are interpolated)
    op.get_bind().execute(sa.text("INSERT INTO rate_served_priority (id, sources) VALUES (1, :sources)"),
                          {"sources": ",".join(DEFAULT_PRIORITY)})


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("rate_served_priority")
    op.drop_table("rate_served")
