"""rate_source_days: the days a bank's table was kept as its USD line alone are 'partial'

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:30:00

Until whole tables were stored (0011), a day answered ``ok`` by NBK, NBT, CBU, CBT or currency-api kept
its USD line only. Marked ``partial``, a backfill asks such a day again for the rest of its table, and the
update job's repair window too; nothing stored is touched. NBKR keeps ``ok``: its history page is one
currency's (USD's days are complete), and every other currency has its own backfill days. The peg has one
line.
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None
WHOLE_TABLES_SINCE_0011 = ("nbk", "nbt", "cbu", "cbt", "currency-api")  # frozen: the sources of that time


def upgrade() -> None:
    """Mark the days kept as a USD line alone."""
    names = ", ".join(f"'{name}'" for name in WHOLE_TABLES_SINCE_0011)
    op.execute(f"UPDATE rate_source_days SET status = 'partial' WHERE status = 'ok' AND source IN ({names})")  # noqa: S608


def downgrade() -> None:
    """Revert this revision."""
    op.execute("UPDATE rate_source_days SET status = 'ok' WHERE status = 'partial'")
