"""The helpers every central-bank source shares: exact per-unit rates, strict numbers, safe XML, a table
read line by line (a bad line refused for its currency alone)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from feedsvc.rates.exact import per_unit
from feedsvc.rates.sources.base import NoData, Observation, Refusal, SourceError
from feedsvc.rates.sources.official import parse_nominal, parse_number, parse_xml, read_lines

DAY = date(2026, 4, 1)


@pytest.mark.parametrize(
    ("value", "nominal", "comma", "expected"),
    [
        ("87,4500", "1", True, "87.4500"),
        ("478.77", "1", False, "478.77"),
        ("1.0686", "10", False, "0.10686"),  # NBT: TJS per 10 KGS
        ("3.93", "100", False, "0.0393"),  # NBK: KZT per 100 UZS
        ("0.2913", "1000", False, "0.0002913"),  # CBT: TMT per 1000 UZS
        ("4.80", "100", False, "0.0480"),  # a trailing zero the bank published stays
        ("12194.21", "01", False, "12194.21"),
        ("1.5", "3", False, "0.5"),
    ],
)
def test_per_unit_divides_by_the_nominal_exactly(value, nominal, comma, expected):
    result = per_unit(parse_number(value, comma), parse_nominal(nominal))
    assert str(result) == expected
    assert result * Decimal(nominal) == Decimal(value.replace(",", "."))


@pytest.mark.parametrize("nominal", ["0", "-1", "1.5", "", None, "ten"])
def test_parse_nominal_refuses_a_bad_nominal(nominal):
    with pytest.raises(SourceError):
        parse_nominal(nominal)


def test_a_bad_line_is_refused_for_its_currency_alone():
    table = read_lines([("USD", "478.77", "1"), ("EUR", "NaN", "1"), ("UZS", "3.94", "1.5"),
                        ("RUB", "5.9", "1"), ("RUB", "6.0", "1"), ("xx", "1", "1"), ("KZT", "1", "1"),
                        ("AMD", "12.72", "10")], DAY, "KZT")
    assert table.observations == [Observation(DAY, "USD", "KZT", Decimal("478.77")),
                                  Observation(DAY, "AMD", "KZT", Decimal("12.72"), 10)]
    assert [(r.currency, r.reason) for r in table.refused] == [
        ("EUR", "bad number 'NaN'"), ("UZS", "nominal '1.5' is not a whole number"),
        ("RUB", "RUB is listed more than once"), ("RUB", "RUB is listed more than once"),
        ("???", "bad currency code 'xx'"), ("KZT", "KZT quoted in itself")]
    assert all(isinstance(r, Refusal) and r.quote == "KZT" and r.date == DAY for r in table.refused)


def test_a_table_without_a_line_is_no_data():
    with pytest.raises(NoData):
        read_lines([], DAY, "KZT")


@pytest.mark.parametrize(
    "text", ["NaN", "sNaN", "Infinity", "1e3", "1_000", "-1", "0", "0.0000", " ", None, "1,5", "١٢"]
)
def test_parse_number_accepts_only_plain_positive_decimals(text):
    with pytest.raises(SourceError):
        parse_number(text)


def test_parse_number_reads_a_decimal_comma_only_when_asked():
    assert str(parse_number(" 40,9614\n", comma=True)) == "40.9614"
    with pytest.raises(SourceError):
        parse_number("40,9614")


def test_parse_xml_refuses_entity_expansion():
    bomb = b'<?xml version="1.0"?><!DOCTYPE rates [<!ENTITY a "aaaaaaaaaa">]><rates><date>&a;</date></rates>'
    with pytest.raises(SourceError):
        parse_xml(bomb, "rates")


def test_parse_xml_reads_windows_1251_as_declared():
    payload = '<?xml version="1.0" encoding="windows-1251"?><CurrencyRates Name="Курсы"/>'.encode("cp1251")
    assert parse_xml(payload, "CurrencyRates").get("Name") == "Курсы"


def test_parse_xml_wants_the_expected_root():
    with pytest.raises(SourceError, match="ValCurs"):
        parse_xml(b"<html><body>maintenance</body></html>", "ValCurs")
