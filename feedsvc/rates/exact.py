"""Exact decimal arithmetic and formatting of rates: the one home of a rate's quotient, digits, change,
period sums, shown text and CSV line.

The materialised lines (served/lines.py, served/months.py) and the live formats (read/) both call these,
so they agree byte for byte. ``format_version`` names what these functions and constants produce: the
served table stores the version its lines were rendered with, and a release that changes any of them
re-renders the lines (served/table.py, ``ensure_served``) instead of serving stale ones.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import inspect
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from operator import itemgetter
from typing import Any

MIN_DIGITS = 6  # a served rate shows at least this many significant digits
CHANGE_DAYS = 7  # a change is shown against an observation at most this many days older
DIVISION = Context(prec=40)  # far more digits than any source publishes
EXACT = Context(prec=60)  # sums and means of 40-digit quotients, without rounding that shows
ONE = Decimal(1)
_HUNDREDTH = Decimal("0.01")
CSV_DAY_HEADER = ("date", "pair", "rate", "change_pct", "source")  # the long CSV of day rows
CSV_TERMINATOR = "\r\n"  # RFC 4180, what spreadsheets expect
SATURDAY = 5  # date.weekday() of Saturday; Sunday is 6

Previous = tuple[Decimal, date]  # a pair's earlier rate and its date


def significant_digits(value: Decimal) -> int:
    """The number of digits of ``value``'s coefficient: ``len(value.as_tuple().digits)``, faster."""
    # as_tuple() builds a tuple of digits, a microsecond per row of a long series; str() is plain
    # notation ("0.0025", "512.00") except for tiny or huge values, which take the slow way.
    digits = str(value).replace(".", "").lstrip("-0")
    return len(digits) if digits.isdigit() else len(value.as_tuple().digits)


def shown_digits(*published: Decimal) -> int:
    """Digits to show of a rate derived from ``published``: never fewer than any has, nor MIN_DIGITS."""
    return max(MIN_DIGITS, *map(significant_digits, published))


def quotient(numerator: Decimal, denominator: Decimal) -> Decimal:
    """``numerator`` / ``denominator`` to 40 significant digits."""
    return DIVISION.divide(numerator, denominator)


def per_unit(value: Decimal, nominal: int) -> Decimal:
    """``value`` ÷ ``nominal``, keeping every digit the bank published (4.7877 per 1 from 478.77 per 100)."""
    if nominal == 1:
        return value
    _, digits, exponent = Decimal(nominal).normalize().as_tuple()
    if digits == (1,):  # a power of ten: shift the point so no published digit is lost or invented
        return value.scaleb(-int(exponent))
    return quotient(value, Decimal(nominal))


def change_pct(rate: Decimal, previous: Decimal | None, context: Context = DIVISION) -> Decimal | None:
    """100 × (rate / previous − 1), to two decimals; None without a previous rate."""
    if previous is None:
        return None
    change = (context.divide(rate, previous) - 1) * 100
    return change.quantize(_HUNDREDTH, rounding=ROUND_HALF_EVEN) + 0  # + 0 turns -0.00 into 0.00


def compare(rate: Decimal, day: date, previous: Previous | None) -> tuple[Decimal | None, date | None]:
    """``change_pct`` and ``prev_date`` of a row: None when the previous observation is over a week older.

    A change across a gap of months is not a day's movement: a ticker showing one misleads (the demo's
    KZT "+5.46 %" across four months).
    """
    if previous is None:
        return None, None
    last, last_day = previous
    if (day - last_day).days > CHANGE_DAYS:
        return None, None
    return change_pct(rate, last), last_day


def repeats(day: date, before: date | None, same: bool) -> bool:
    """True for a Saturday or Sunday row publishing exactly what (``same``) the row of the day before
    published: a bank repeating Friday's table, served as published but no new observation."""
    return same and before is not None and day.weekday() >= SATURDAY and (day - before).days == 1


def format_rate(rate: Decimal, digits: int) -> str:
    """``rate`` rounded to ``digits`` significant digits, in plain notation (never ``8.2E-5``)."""
    rounded = _significant(digits).plus(rate)  # rounds half to even; 0.9999996 becomes 1.00000
    places = digits - 1 - rounded.adjusted()
    # Pad to ``digits`` digits (3.5 -> 3.50000): rounded has no more, so nothing is rounded twice.
    return format(rounded, f".{places}f" if places > 0 else "f")


@functools.cache
def _significant(digits: int) -> Context:
    return Context(prec=digits, rounding=ROUND_HALF_EVEN)


def format_change(change: Decimal | None) -> str:
    """A change in percent with two decimals, or '' when there is none."""
    return "" if change is None else format(change, "f")


def csv_writer(buffer: io.StringIO) -> Any:
    """The CSV writer of every rates CSV: RFC 4180 line ends, minimal quoting."""
    return csv.writer(buffer, lineterminator=CSV_TERMINATOR)


def csv_line(fields: Sequence[str]) -> str:
    """One CSV line as the rates CSV writes it."""
    buffer = io.StringIO()
    csv_writer(buffer).writerow(fields)
    return buffer.getvalue()


def period_start(day: date, group: str) -> date:
    """The first day of ``day``'s period: the ISO week's Monday, the month's or the year's first day."""
    if group == "week":
        return day - timedelta(days=day.weekday())
    if group == "month":
        return day.replace(day=1)
    if group == "year":
        return day.replace(month=1, day=1)
    return day


@dataclass
class Period:
    """The rows of one pair in one period, being summed."""

    start: date
    total: Decimal = Decimal(0)
    count: int = 0
    digits: int = 0
    close: Decimal = Decimal(0)
    sources: dict[str, None] = field(default_factory=dict)  # in order of first appearance

    def add(self, rate: Decimal, digits: int, source: str) -> None:
        """Count one observation."""
        self.total = EXACT.add(self.total, rate)
        self.count += 1
        self.digits = max(self.digits, digits)
        self.close = rate
        self.sources[source] = None

    @property
    def mean(self) -> Decimal:
        """The arithmetic mean of the observations."""
        return EXACT.divide(self.total, self.count)


def period_of(start: date, rows: Sequence[Sequence]) -> Period:
    """A period from stored rows ``(date, currency, exact text, digits, source)`` by date, summed as
    ``Period.add`` sums them one by one."""
    with localcontext(EXACT):  # sum() adds in order, left to right, in the current context
        total = sum(map(Decimal, map(itemgetter(2), rows)), Decimal(0))
    return Period(start, total, len(rows), max(map(itemgetter(3), rows)), Decimal(rows[-1][2]),
                  dict.fromkeys(map(itemgetter(4), rows)))


_SHAPING = (significant_digits, shown_digits, quotient, change_pct, compare, repeats, format_rate,
            format_change, csv_writer, csv_line, Period, period_of)


def format_version() -> str:
    """A digest of what shapes a stored line or sum: the constants above and these functions' code."""
    constants = (MIN_DIGITS, CHANGE_DAYS, DIVISION.prec, EXACT.prec, CSV_DAY_HEADER, CSV_TERMINATOR)
    return hashlib.sha256(f"{constants!r}{_code_digest()}".encode()).hexdigest()[:16]


@functools.cache  # the code does not change while a process runs; every ingest asks
def _code_digest() -> str:
    try:
        code = "".join(inspect.getsource(part) for part in _SHAPING)
    except OSError:  # no source shipped (a zipped install): the constants alone
        code = ""
    return hashlib.sha256(code.encode()).hexdigest()
