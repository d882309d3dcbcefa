"""rate_anomalies: what became of each refused, held-back or flagged value, and who decided

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 13:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
UTC_DATETIME = sa.DateTime(timezone=True)  # the app's UTCDateTime, as DDL: frozen here


def upgrade() -> None:
    """Add status, reference_date, note, decided_by and decided_at; classify the existing rows."""
    with op.batch_alter_table("rate_anomalies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference_date", sa.Date(), nullable=True))
        # Until now a "jump" row was a refused value and a "disagree" row a held-back one.
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False,
                                      server_default="refused"))
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("decided_at", UTC_DATETIME, nullable=True))
    op.execute("UPDATE rate_anomalies SET status = 'held' WHERE reason = 'disagree'")
    with op.batch_alter_table("rate_anomalies", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)


def downgrade() -> None:
    """Revert this revision (released and decided rows lose what became of them)."""
    op.execute("DELETE FROM rate_anomalies WHERE status NOT IN ('refused', 'held')")
    with op.batch_alter_table("rate_anomalies", schema=None) as batch_op:
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("note")
        batch_op.drop_column("status")
        batch_op.drop_column("reference_date")
