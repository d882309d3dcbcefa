"""articles: the lead image's width, height and alt text, as the editor gives them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add three nullable columns: existing articles keep their images, sizes unknown."""
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("image_width", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("image_height", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("image_alt", sa.String(length=500), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("image_alt")
        batch.drop_column("image_height")
        batch.drop_column("image_width")
