"""rate_served.usd_*: the X/USD rate, change and CSV line as shown, the exact quotient; filled

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 17:45:00
"""

import csv
import io
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The formatting of the lines as this revision was written, frozen here: later releases that change it
# re-render the lines themselves (they store the format version the lines carry), so the migration never
# follows live code.
MIN_DIGITS = 6
CHANGE_DAYS = 7
DIVISION = Context(prec=40)
HUNDREDTH = Decimal("0.01")


def upgrade() -> None:
    """Add the columns and fill them for every served row."""
    with op.batch_alter_table("rate_served", schema=None) as batch_op:
        batch_op.add_column(sa.Column("usd_rate", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usd_change", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usd_csv", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usd_exact", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("usd_digits", sa.Integer(), nullable=True))
    bind = op.get_bind()
    for currency in bind.execute(sa.text("SELECT DISTINCT currency FROM rate_served")).scalars().all():
        rows = bind.execute(sa.text("SELECT date, units_per_usd, source FROM rate_served "
                                    "WHERE currency = :currency ORDER BY date"), {"currency": currency}).all()
        updates, previous = [], None
        for day, value, source in rows:
            day = date.fromisoformat(day) if isinstance(day, str) else day  # SQLite's driver gives text
            columns, previous = _shown(currency, day, Decimal(str(value)), source, previous)
            updates.append({"b_date": day, "b_currency": currency, **columns})
        if updates:
            bind.execute(sa.text("UPDATE rate_served SET usd_rate = :usd_rate, usd_change = :usd_change, "
                                 "usd_csv = :usd_csv, usd_exact = :usd_exact, usd_digits = :usd_digits "
                                 "WHERE date = :b_date AND currency = :b_currency")
                         .bindparams(sa.bindparam("b_date", type_=sa.Date())), updates)


def _shown(currency: str, day: date, value: Decimal, source: str,
           previous: tuple[Decimal, date] | None) -> tuple[dict, tuple[Decimal, date]]:
    """The X/USD columns of one served row, and the row as the next one's previous (rate, day)."""
    rate = DIVISION.divide(Decimal(1), value)
    digits = max(MIN_DIGITS, _significant_digits(value))
    change = None
    if previous is not None and (day - previous[1]).days <= CHANGE_DAYS:
        change = ((DIVISION.divide(rate, previous[0]) - 1) * 100).quantize(HUNDREDTH, ROUND_HALF_EVEN) + 0
    shown = _format_rate(rate, digits)
    change_text = "" if change is None else format(change, "f")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(
        [day.isoformat(), f"{currency}/USD", shown, change_text, source])
    return {"usd_rate": shown, "usd_change": change_text or None, "usd_csv": buffer.getvalue(),
            "usd_exact": str(rate), "usd_digits": digits}, (rate, day)


def _significant_digits(value: Decimal) -> int:
    return len(value.as_tuple().digits)


def _format_rate(rate: Decimal, digits: int) -> str:
    rounded = Context(prec=digits, rounding=ROUND_HALF_EVEN).plus(rate)
    places = digits - 1 - rounded.adjusted()
    return format(rounded, f".{places}f" if places > 0 else "f")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("rate_served", schema=None) as batch_op:
        batch_op.drop_column("usd_digits")
        batch_op.drop_column("usd_exact")
        batch_op.drop_column("usd_csv")
        batch_op.drop_column("usd_change")
        batch_op.drop_column("usd_rate")
