"""upstreams: WordPress sites and feeds kept in the article store, their runs and items; image size and alt

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None
UTC_DATETIME = sa.DateTime(timezone=True)  # the app's UTCDateTime, as DDL: frozen here
IMAGE_COLUMNS = (
    ("image_width", sa.Integer()),
    ("image_height", sa.Integer()),
    ("image_alt", sa.String(length=500)),
)


def upgrade() -> None:
    """Create upstreams, upstream_runs and upstream_items; give articles the lead image's size and alt."""
    _add_image_columns()
    op.create_table(
        "upstreams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("countries", sa.String(length=400), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("every_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("watermark", sa.String(length=32), nullable=True),
        sa.Column("modified_after", sa.Boolean(), nullable=True),
        sa.Column("etag", sa.String(length=512), nullable=True),
        sa.Column("last_modified", sa.String(length=64), nullable=True),
        sa.Column("swept_at", UTC_DATETIME, nullable=True),
        sa.Column("hub", sa.String(length=2048), nullable=True),
        sa.Column("topic", sa.String(length=2048), nullable=True),
        sa.Column("websub_secret", sa.String(length=64), nullable=True),
        sa.Column("websub_state", sa.String(length=16), nullable=True),
        sa.Column("websub_expires_at", UTC_DATETIME, nullable=True),
        sa.Column("websub_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstreams")),
        sa.UniqueConstraint("name", name=op.f("uq_upstreams_name")),
    )
    op.create_table(
        "upstream_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("upstream_id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", UTC_DATETIME, nullable=True),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in
          ("requests", "fetched", "created", "updated", "unchanged", "deleted", "skipped", "rejected")),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["upstream_id"], ["upstreams.id"], ondelete="CASCADE",
                                name=op.f("fk_upstream_runs_upstream_id_upstreams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_runs")),
    )
    op.create_index("ix_upstream_runs_upstream_started", "upstream_runs", ["upstream_id", "started_at"])
    op.create_table(
        "upstream_items",
        sa.Column("upstream_id", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=200), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("guid", sa.String(length=200), nullable=False),
        sa.Column("modified", sa.String(length=64), nullable=False),
        sa.Column("removed", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE",
                                name=op.f("fk_upstream_items_article_id_articles")),
        sa.ForeignKeyConstraint(["upstream_id"], ["upstreams.id"], ondelete="CASCADE",
                                name=op.f("fk_upstream_items_upstream_id_upstreams")),
        sa.PrimaryKeyConstraint("upstream_id", "remote_id", name=op.f("pk_upstream_items")),
    )
    op.create_index(op.f("ix_upstream_items_article_id"), "upstream_items", ["article_id"])


def _add_image_columns() -> None:
    """Add the image columns another revision may already have added (two branches add the same three)."""
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("articles")}
    missing = [(name, kind) for name, kind in IMAGE_COLUMNS if name not in present]
    if missing:
        with op.batch_alter_table("articles") as batch:
            for name, kind in missing:
                batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    """Revert this revision (the image columns stay: another revision may own them)."""
    op.drop_table("upstream_items")
    op.drop_index("ix_upstream_runs_upstream_started", table_name="upstream_runs")
    op.drop_table("upstream_runs")
    op.drop_table("upstreams")
