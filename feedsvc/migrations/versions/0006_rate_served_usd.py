"""rate_served.usd_*: the X/USD rate, change and CSV line as shown, the exact quotient; filled

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 17:45:00
"""

import sqlalchemy as sa
from alembic import op

from feedsvc.rates.rendered import refresh_usd

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns and fill them for every served row."""
    with op.batch_alter_table("rate_served", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usd_rate", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usd_change", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usd_csv", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usd_exact", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usd_digits", sa.Integer(), nullable=True))
    # Unlike 0002, this calls the app's code on purpose: the columns are the read path's own output
    # (format_rate, compare), and must match it byte for byte.
    bind = op.get_bind()
    refresh_usd(bind, bind.execute(sa.text("SELECT DISTINCT currency FROM rate_served")).scalars())


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("rate_served", schema=None) as batch_op:
        batch_op.drop_column("usd_digits")
        batch_op.drop_column("usd_exact")
        batch_op.drop_column("usd_csv")
        batch_op.drop_column("usd_change")
        batch_op.drop_column("usd_rate")
