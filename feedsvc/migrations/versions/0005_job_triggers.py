"""job triggers: each scheduled fire time claimed once (job_triggers), and the trigger a rate run answers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 16:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
UTC_DATETIME = sa.DateTime(timezone=True)  # the app's UTCDateTime, as DDL: frozen here


def upgrade() -> None:
    """Create job_triggers; add rate_runs.scheduled_at (None for the runs so far)."""
    op.create_table(
        "job_triggers",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", UTC_DATETIME, nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("claimed_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("job", "scheduled_at", name=op.f("pk_job_triggers")),
    )
    with op.batch_alter_table("rate_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scheduled_at", UTC_DATETIME,
                                      nullable=True))


def downgrade() -> None:
    """Revert this revision (which trigger each run answered is lost)."""
    with op.batch_alter_table("rate_runs", schema=None) as batch_op:
        batch_op.drop_column("scheduled_at")
    op.drop_table("job_triggers")
