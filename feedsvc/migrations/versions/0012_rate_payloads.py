"""rate_payloads and rate_fetches: every answer a source sent, kept; rate_observations.fetch_id names it

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:00:00

Rows stored before this revision came from payloads that were not kept: their ``fetch_id`` stays NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None
UTC_DATETIME = sa.DateTime(timezone=True)  # the app's UTCDateTime, as DDL: frozen here


def upgrade() -> None:
    """Create the archive's tables and the observations' reference to it."""
    op.create_table(
        "rate_payloads",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_rate_payloads")),
    )
    op.create_table(
        "rate_fetches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("fetched_at", UTC_DATETIME, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["rate_payloads.sha256"],
                                name=op.f("fk_rate_fetches_sha256_rate_payloads")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_fetches")),
        sa.UniqueConstraint("source", "day", "sha256", name=op.f("uq_rate_fetches_source")),
    )
    with op.batch_alter_table("rate_observations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fetch_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_rate_observations_fetch_id"), ["fetch_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_rate_observations_fetch_id_rate_fetches"), "rate_fetches",
                                    ["fetch_id"], ["id"])


def downgrade() -> None:
    """Revert this revision (the kept payloads are dropped)."""
    with op.batch_alter_table("rate_observations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_rate_observations_fetch_id_rate_fetches"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_rate_observations_fetch_id"))
        batch_op.drop_column("fetch_id")
    op.drop_table("rate_fetches")
    op.drop_table("rate_payloads")
