"""rate_served_months: per (currency, month), the X/USD quotients' exact sum, count, digits, close, sources

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:20:00
"""

import sqlalchemy as sa
from alembic import op

from feedsvc.rates.served_months import rebuild_months

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the table and fill it from every served row."""
    op.create_table(
        "rate_served_months",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("total", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("digits", sa.Integer(), nullable=False),
        sa.Column("close", sa.Text(), nullable=False),
        sa.Column("sources", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("currency", "month", name=op.f("pk_rate_served_months")),
    )
    # As 0006: the sums are the read path's own (Period.add's order and precision), so the app's code.
    rebuild_months(op.get_bind())


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("rate_served_months")
