"""Central Bank of Uzbekistan: the official UZS rate, a JSON array per weekday, every value a string."""

from __future__ import annotations

import json
from datetime import date

from feedsvc.rates.sources.base import Observation, SourceError
from feedsvc.rates.sources.official import OfficialSource, check_day, find_usd_line, parse_day


class CBU(OfficialSource):
    """UZS per USD from ``json/all/YYYY-MM-DD/`` (``Nominal`` divisor; holidays repeat the last rate)."""

    name = "cbu"
    currencies = ("UZS",)
    history_start = date(1994, 7, 1)  # the documented start of the archive: the sum's first day
    default_url = "https://cbu.uz/en/arkhiv-kursov-valyut/json/all/{date:%Y-%m-%d}/"
    default_cron = "50 1,6,11 * * mon-fri"  # Tashkent is UTC+5: 06:50, 11:50, 16:50 on working days
    attribution = "Central Bank of the Republic of Uzbekistan, cbu.uz"
    terms = "Published openly on cbu.uz; reuse terms unknown — check the bank's site and cite the bank."

    def parse(self, payload: bytes, day: date) -> list[Observation]:
        """Pure: UZS per 1 USD on ``day`` from the row whose ``Ccy`` is USD."""
        rows = _load_rows(payload)
        usd = find_usd_line(rows, lambda row: _text(row, "Ccy"))
        # Future and holiday dates answer the last published rate under its own date.
        check_day(parse_day(_text(usd, "Date"), "%d.%m.%Y"), day)
        return [self.observe(day, _text(usd, "Rate"), _text(usd, "Nominal"))]


def _load_rows(payload: bytes) -> list[dict]:
    try:
        rows = json.loads(payload)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError alike
        raise SourceError(f"not JSON: {exc}") from exc
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise SourceError("expected a JSON array of objects")
    return rows


def _text(row: dict, key: str) -> str | None:
    # Every value is a string upstream; anything else means the format changed.
    value = row.get(key)
    if value is not None and not isinstance(value, str):
        raise SourceError(f"{key} is {type(value).__name__}, expected a string")
    return value
