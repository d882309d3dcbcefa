"""rate_served_months: per (currency, month), the X/USD quotients' exact sum, count, digits, close, sources

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 18:20:00
"""

from datetime import date
from decimal import Context, Decimal, localcontext
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# How a period summed its days when this revision was written, frozen here: 60 digits, in date order.
EXACT = Context(prec=60)


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
    bind = op.get_bind()
    months = sa.table("rate_served_months", sa.column("currency", sa.String()), sa.column("month", sa.Date()),
                      *(sa.column(name, sa.Text()) for name in ("total", "close", "sources")),
                      sa.column("count", sa.Integer()), sa.column("digits", sa.Integer()))
    for currency in bind.execute(sa.text("SELECT DISTINCT currency FROM rate_served")).scalars().all():
        rows = bind.execute(sa.text("SELECT date, usd_exact, usd_digits, source FROM rate_served "
                                    "WHERE currency = :currency ORDER BY date"), {"currency": currency}).all()
        days = [(date.fromisoformat(day) if isinstance(day, str) else day, exact, digits, source)
                for day, exact, digits, source in rows]
        filled = [_month_row(currency, month, list(same))
                  for month, same in groupby(days, key=lambda row: row[0].replace(day=1))]
        if filled:
            bind.execute(sa.insert(months), filled)


def _month_row(currency: str, month: date, days: list[tuple]) -> dict:
    """One month's row from its served rows (date, usd_exact, usd_digits, source) by date."""
    with localcontext(EXACT):  # sum() adds in order, left to right, in the current context
        total = sum((Decimal(exact) for _day, exact, _digits, _source in days), Decimal(0))
    return {"currency": currency, "month": month, "total": str(total), "count": len(days),
            "digits": max(digits for _day, _exact, digits, _source in days),
            "close": str(Decimal(days[-1][1])), "sources": ";".join(dict.fromkeys(row[3] for row in days))}


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("rate_served_months")
