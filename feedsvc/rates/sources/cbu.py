"""Central Bank of Uzbekistan: its table of official rates in UZS, a JSON array per weekday (all strings)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date

from feedsvc.rates.sources.base import Refusal, SourceError, Table
from feedsvc.rates.sources.official import OfficialSource, check_day, known_code, parse_day, read_lines


class CBU(OfficialSource):
    """UZS per ``Nominal`` units of each currency from ``json/all/YYYY-MM-DD/`` (holidays repeat the last)."""

    name = "cbu"
    quote = "UZS"
    history_start = date(1994, 7, 1)  # the documented start of the archive: the sum's first day
    default_url = "https://cbu.uz/en/arkhiv-kursov-valyut/json/all/{date:%Y-%m-%d}/"
    default_cron = "50 1,6,11 * * mon-fri"  # Tashkent is UTC+5: 06:50, 11:50, 16:50 on working days
    attribution = "Central Bank of the Republic of Uzbekistan, cbu.uz"
    terms = "Published openly on cbu.uz; reuse terms unknown — check the bank's site and cite the bank."

    def parse(self, payload: bytes, day: date) -> Table:
        """Pure: every row of the table of ``day``; a row dated otherwise than the table is refused."""
        rows = _load_rows(payload)
        # Future and holiday dates answer the last published table under its own date: the date most
        # rows carry is the table's.
        dated = Counter(_date_text(row) for row in rows).most_common(1)
        table_date = dated[0][0] if dated else None
        check_day(parse_day(table_date, "%d.%m.%Y"), day)
        lines, refused = [], []
        for row in rows:
            try:
                if _date_text(row) != table_date:
                    raise SourceError(f"dated {row.get('Date')!r}, the table {table_date!r}")
                lines.append((_text(row, "Ccy"), _text(row, "Rate"), _text(row, "Nominal")))
            except SourceError as exc:
                refused.append(Refusal(day, known_code(row.get("Ccy")), self.quote, str(exc)))
        table = read_lines(lines, day, self.quote) if lines else Table([])
        return Table(table.observations, table.refused + refused)


def _load_rows(payload: bytes) -> list[dict]:
    try:
        rows = json.loads(payload)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise SourceError(f"not JSON: {exc}") from exc
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise SourceError("expected a JSON array of objects")
    return rows


def _date_text(row: dict) -> str | None:
    value = row.get("Date")
    return value if isinstance(value, str) else None


def _text(row: dict, key: str) -> str | None:
    # Every value is a string upstream; anything else means the format changed.
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise SourceError(f"{key} is {type(value).__name__}, expected a string")
    return value
