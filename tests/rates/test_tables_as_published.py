"""Every recorded payload, parsed by its source, gives every line of the bank's table exactly as written
(code, value digits, nominal, the bank's date, the bank's own currency), and a source never writes a line
quoted in another currency: walked over every file and every day any file is dated."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring

from feedsvc.rates.sources import NoData, SourceError, all_source_classes
from feedsvc.rates.sources.nbkr import NBKR

UPSTREAM = Path(__file__).parents[1] / "fixtures" / "upstream"
FILES = sorted(path for path in UPSTREAM.rglob("*") if path.is_file())
# Every day some recorded file is dated, so each parse also meets its own file on the right day.
DAYS = [date(2005, 6, d) for d in (4, 11, 18, 25)] + [
    date(2025, 5, 1), date(2025, 5, 5), *(date(2025, 12, d) for d in range(24, 29)),
    date(2026, 4, 1), date(2026, 5, 18), date(2026, 5, 20), date(2026, 5, 24),
]


def _xml_lines(path: str, line: str, code: str, value: str, nominal: str, date_of: str, fmt: str) -> tuple:
    root = fromstring((UPSTREAM / path).read_bytes())
    when = root.get(date_of) if date_of[0].isupper() else root.findtext(date_of)

    def field(element, name: str) -> str:
        return element.get(name[1:]) if name.startswith("@") else element.findtext(name)

    lines = {field(e, code): (field(e, value).replace(",", "."), field(e, nominal)) for e in root.iter(line)}
    return datetime.strptime(when, fmt).date(), lines


# Each bank's file read independently of the parsers: (date, {code: (value text, nominal text)}).
EXPECTED = {
    ("nbk", "nbk/get_rates_fdate_01.04.2026.xml", date(2026, 4, 1)):
        _xml_lines("nbk/get_rates_fdate_01.04.2026.xml", "item", "title", "description", "quant", "date",
                   "%d.%m.%Y"),
    ("nbkr", "nbkr/daily.xml", date(2026, 5, 24)):
        _xml_lines("nbkr/daily.xml", "Currency", "@ISOCode", "Value", "Nominal", "Date", "%d.%m.%Y"),
    ("nbkr-weekly", "nbkr/weekly.xml", date(2026, 5, 24)):
        _xml_lines("nbkr/weekly.xml", "Currency", "@ISOCode", "Value", "Nominal", "Date", "%d.%m.%Y"),
    ("nbt", "nbt/export_xml_2026-05-18.xml", date(2026, 5, 18)):
        _xml_lines("nbt/export_xml_2026-05-18.xml", "Valute", "CharCode", "Value", "Nominal", "Date",
                   "%Y-%m-%d"),
    ("cbt", "cbt/kurs_2026_20052026.xml", date(2026, 5, 20)):
        _xml_lines("cbt/kurs_2026_20052026.xml", "rate", "@code", "rate_tmt", "multiplier", "date",
                   "%d.%m.%Y"),
    ("cbu", "cbu/json_all_2026-04-01.json", date(2026, 4, 1)): (
        date(2026, 4, 1),
        {row["Ccy"]: (row["Rate"], row["Nominal"])
         for row in json.loads((UPSTREAM / "cbu/json_all_2026-04-01.json").read_bytes())}),
}
COUNTS = {"nbk": 39, "nbkr": 5, "nbkr-weekly": 40, "nbt": 36, "cbu": 75, "cbt": 48}  # as the issue counted


@pytest.mark.parametrize(("name", "path", "day"), list(EXPECTED), ids=[key[0] for key in EXPECTED])
def test_every_line_of_every_bank_table_is_read_exactly_as_written(name: str, path: str, day: date) -> None:
    source = all_source_classes()[name]("")
    table = source.parse((UPSTREAM / path).read_bytes(), day)
    published, lines = EXPECTED[(name, path, day)]
    assert table.refused == [] and len(table.observations) == len(lines) == COUNTS[name]
    for obs in table.observations:
        value, nominal = lines[obs.currency]
        assert (obs.date, obs.quote, str(obs.value), obs.nominal) == (published, source.quote, value,
                                                                      int(nominal)), obs


@pytest.mark.parametrize("path", sorted(UPSTREAM.glob("currency-api/*.usd.json")), ids=lambda p: p.name)
def test_every_iso_value_of_currency_api_is_read_exactly_as_written(path: Path) -> None:
    document = json.loads(path.read_bytes(), parse_float=str, parse_int=str)
    day = date.fromisoformat(document["date"])
    table = all_source_classes()["currency-api"]("").parse(path.read_bytes(), day)
    assert table.observations and table.refused == []
    for obs in table.observations:
        assert (obs.currency, obs.nominal, str(obs.value)) == ("USD", 1, document["usd"][obs.quote.lower()])


@pytest.mark.parametrize("name", sorted(all_source_classes()))
def test_a_source_only_writes_lines_in_its_own_quote_currency(name: str) -> None:
    source = all_source_classes()[name]("")
    parsed = 0
    for path in FILES:
        payload = path.read_bytes()
        for day in DAYS:
            try:
                table = source.parse(payload, day)
            except (NoData, SourceError):
                continue
            parsed += 1
            if source.quote is None:  # currency-api: 1 USD in each currency
                assert {obs.currency for obs in table.observations} == {"USD"}, (path.name, day)
            else:
                assert {obs.quote for obs in table.observations} == {source.quote}, (path.name, day)
            usd_lines = {obs.quote for obs in table.observations if obs.currency == "USD"}
            assert set(source.currencies) <= usd_lines or not source.currencies, (name, path.name, day)
    assert parsed  # each source read at least its own file


def test_nbkr_history_parse_yields_usd_lines_in_kgs() -> None:
    source = NBKR("")
    read = 0
    for path in FILES:
        try:
            table = source.parse_range(path.read_bytes())
        except SourceError:
            continue
        read += 1
        assert {(obs.currency, obs.quote) for obs in table.observations} == {("USD", "KGS")}, path.name
        raw = re.findall(rb"<!--value-->(.*?)<!--value-->", path.read_bytes())
        assert sorted(str(obs.value) for obs in table.observations) == sorted(
            str(Decimal(v.decode().replace(",", "."))) for v in raw)
    assert read == 1
