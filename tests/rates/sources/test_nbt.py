"""NBT (TJS): parse on the real file, and fetch from a local server at the bank's URL layout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from table_lines import line, refused_codes, usd

from feedsvc.rates.sources.base import NoData, Observation, SourceError
from feedsvc.rates.sources.nbt import NBT

DAY = date(2026, 5, 18)
FILE = "nbt/export_xml_2026-05-18.xml"
USD_LINE = b"<Nominal>1</Nominal>\n   <Name>US Dollar</Name>\n   <Value>9.3450</Value>"
TIMEOUT = (2.0, 5.0)


@pytest.fixture
def real(upstream) -> bytes:
    payload = upstream(FILE)
    assert payload.count(USD_LINE) == 1
    return payload


def test_parse_takes_the_usd_line_exactly(real):
    table = NBT("").parse(real, DAY)
    assert usd(table) == Observation(DAY, "USD", "TJS", Decimal("9.3450"))
    assert str(usd(table).value) == "9.3450"


def test_parse_divides_by_nominal_keeping_every_digit(real):
    payload = real.replace(USD_LINE, b"<Nominal>100</Nominal><Value>934.5000</Value>")
    assert (usd(NBT("").parse(payload, DAY)).value, usd(NBT("").parse(payload, DAY)).nominal) == (
        Decimal("934.5000"), 100)
    assert str(usd(NBT("").parse(payload, DAY)).per_unit) == "9.345000"


def test_parse_returns_every_line_as_published_kgs_per_10_and_uzs_per_100(real):
    table = NBT("").parse(real, DAY)
    assert len(table.observations) == 36 and table.refused == []
    assert line(table, "KGS") == Observation(DAY, "KGS", "TJS", Decimal("1.0686"), 10)
    assert line(table, "UZS") == Observation(DAY, "UZS", "TJS", Decimal("0.0780"), 100)
    assert line(table, "RUB").value == Decimal("0.1277")


def test_out_of_range_date_answers_todays_file_which_is_no_data(real):
    # The bank answers a date it has no rate for with today's file: only Date tells them apart.
    with pytest.raises(NoData, match="2026-05-18"):
        NBT("").parse(real, date(2031, 1, 1))


def test_parse_refuses_broken_bodies(real, spoil):
    with pytest.raises(SourceError):
        NBT("").parse(spoil(real), DAY)


@pytest.mark.parametrize("value", [b"0.0000", b"-9.3450", b"NaN", b"", b"9,3450"])
def test_parse_refuses_an_unusable_value_for_its_currency_alone(real, value):
    payload = real.replace(b"<Value>9.3450</Value>", b"<Value>%s</Value>" % value)
    table = NBT("").parse(payload, DAY)
    assert refused_codes(table) == ["USD"] and len(table.observations) == 35


def test_parse_with_two_usd_lines_refuses_both_and_keeps_the_rest(real):
    payload = real.replace(b"<CharCode>EUR</CharCode>", b"<CharCode>USD</CharCode>")
    table = NBT("").parse(payload, DAY)
    assert refused_codes(table) == ["USD", "USD"] and len(table.observations) == 34


def test_attribution_names_www_nbt_tj():
    assert "www.nbt.tj" in NBT.attribution


def test_fetch_and_parse_from_the_bank_url_layout(httpserver, local_template, real, http):
    httpserver.expect_request(
        "/en/kurs/export_xml.php", query_string="date=2026-05-18&export=xmlout"
    ).respond_with_data(real, content_type="text/xml")
    source = NBT(local_template("nbt"))
    assert usd(source.parse(source.fetch(http, DAY, TIMEOUT), DAY)).value == Decimal("9.3450")


def test_fetch_404_is_no_data(httpserver, local_template, http):
    httpserver.expect_request("/en/kurs/export_xml.php").respond_with_data("", status=404)
    with pytest.raises(NoData):
        NBT(local_template("nbt")).fetch(http, DAY, TIMEOUT)
