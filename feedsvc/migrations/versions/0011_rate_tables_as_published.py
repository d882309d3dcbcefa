"""rate_observations and rate_anomalies as published: each line of a table with its quote and nominal

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:00:00

Until now an observation was "units of ``currency`` per 1 USD". Every such row was a USD line as its
source published it: a bank's USD line (KZT per 1 USD, the nominal of every bank's USD line is 1) or
currency-api's "1 USD = x KZT". So each becomes ``currency`` USD, ``quote`` the old currency, ``nominal``
1, ``value`` the old value: the same value, date, source and id. Anomalies name their line the same way
and keep their ids, so decisions stay attached. rate_served and its lines are untouched: they were and
stay "units of ``currency`` per 1 USD", now read from the USD lines.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None
EXACT_DECIMAL = sa.Numeric().with_variant(sa.String(48), "sqlite")  # the app's ExactDecimal, as DDL


def upgrade() -> None:
    """Name the quote and nominal of every stored line; make a refused line's value optional."""
    with op.batch_alter_table("rate_observations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rate_observations_source", type_="unique")
        batch_op.drop_index("ix_rate_observations_currency_date")
        batch_op.alter_column("units_per_usd", new_column_name="value", existing_type=EXACT_DECIMAL,
                              existing_nullable=False)
        batch_op.add_column(sa.Column("quote", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("nominal", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("valid_days", sa.Integer(), nullable=True))
    # One statement: every right-hand side reads the row as it was.
    op.execute("UPDATE rate_observations SET quote = currency, currency = 'USD', nominal = 1")
    with op.batch_alter_table("rate_observations", schema=None) as batch_op:
        batch_op.alter_column("quote", existing_type=sa.String(length=3), nullable=False)
        batch_op.alter_column("nominal", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint("uq_rate_observations_source",
                                          ["source", "date", "currency", "quote"])
        batch_op.create_index("ix_rate_observations_currency_quote_date", ["currency", "quote", "date"],
                              unique=False)

    with op.batch_alter_table("rate_anomalies", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rate_anomalies_source", type_="unique")
        batch_op.add_column(sa.Column("quote", sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column("nominal", sa.Integer(), nullable=True))
        batch_op.alter_column("value", existing_type=EXACT_DECIMAL, nullable=True)
    op.execute("UPDATE rate_anomalies SET quote = currency, currency = 'USD', nominal = 1")
    with op.batch_alter_table("rate_anomalies", schema=None) as batch_op:
        batch_op.alter_column("quote", existing_type=sa.String(length=3), nullable=False)
        batch_op.create_unique_constraint("uq_rate_anomalies_source",
                                          ["source", "date", "currency", "quote", "reason"])


def downgrade() -> None:
    """Back to X per USD: only the USD lines can be told that way; every other line is dropped."""
    op.execute("DELETE FROM rate_anomalies WHERE currency <> 'USD' OR value IS NULL")
    op.execute("DELETE FROM rate_observations WHERE currency <> 'USD' OR nominal <> 1")
    with op.batch_alter_table("rate_anomalies", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rate_anomalies_source", type_="unique")
    op.execute("UPDATE rate_anomalies SET currency = quote")
    with op.batch_alter_table("rate_anomalies", schema=None) as batch_op:
        batch_op.drop_column("nominal")
        batch_op.drop_column("quote")
        batch_op.alter_column("value", existing_type=EXACT_DECIMAL, nullable=False)
        batch_op.create_unique_constraint("uq_rate_anomalies_source",
                                          ["source", "date", "currency", "reason"])
    with op.batch_alter_table("rate_observations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_rate_observations_source", type_="unique")
        batch_op.drop_index("ix_rate_observations_currency_quote_date")
    op.execute("UPDATE rate_observations SET currency = quote")
    with op.batch_alter_table("rate_observations", schema=None) as batch_op:
        batch_op.drop_column("valid_days")
        batch_op.drop_column("nominal")
        batch_op.drop_column("quote")
        batch_op.alter_column("value", new_column_name="units_per_usd", existing_type=EXACT_DECIMAL,
                              existing_nullable=False)
        batch_op.create_unique_constraint("uq_rate_observations_source", ["source", "date", "currency"])
        batch_op.create_index("ix_rate_observations_currency_date", ["currency", "date"], unique=False)
