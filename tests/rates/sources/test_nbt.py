"""NBT (TJS): parse on the real file, and fetch from a local server at the bank's URL layout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

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
    observations = NBT("").parse(real, DAY)
    assert observations == [Observation(DAY, "TJS", Decimal("9.3450"))]
    assert str(observations[0].units_per_usd) == "9.3450"


def test_parse_divides_by_nominal_keeping_every_digit(real):
    payload = real.replace(USD_LINE, b"<Nominal>100</Nominal><Value>934.5000</Value>")
    assert str(NBT("").parse(payload, DAY)[0].units_per_usd) == "9.345000"


def test_parse_returns_only_tjs_although_the_file_lists_kgs_kzt_uzs_tmt(real):
    for code in (b"KGS", b"KZT", b"UZS", b"TMT"):
        assert b"<CharCode>%s</CharCode>" % code in real
    assert [observation.currency for observation in NBT("").parse(real, DAY)] == ["TJS"]


def test_out_of_range_date_answers_todays_file_which_is_no_data(real):
    # The bank answers a date it has no rate for with today's file: only Date tells them apart.
    with pytest.raises(NoData, match="2026-05-18"):
        NBT("").parse(real, date(2031, 1, 1))


def test_parse_refuses_broken_bodies(real, spoil):
    with pytest.raises(SourceError):
        NBT("").parse(spoil(real), DAY)


@pytest.mark.parametrize("value", [b"0.0000", b"-9.3450", b"NaN", b"", b"9,3450"])
def test_parse_refuses_unusable_values(real, value):
    payload = real.replace(b"<Value>9.3450</Value>", b"<Value>%s</Value>" % value)
    with pytest.raises(SourceError):
        NBT("").parse(payload, DAY)


def test_parse_with_two_usd_lines_is_an_error(real):
    payload = real.replace(b"<CharCode>EUR</CharCode>", b"<CharCode>USD</CharCode>")
    with pytest.raises(SourceError, match="USD"):
        NBT("").parse(payload, DAY)


def test_attribution_names_www_nbt_tj():
    assert "www.nbt.tj" in NBT.attribution


def test_fetch_and_parse_from_the_bank_url_layout(httpserver, local_template, real, http):
    httpserver.expect_request(
        "/en/kurs/export_xml.php", query_string="date=2026-05-18&export=xmlout"
    ).respond_with_data(real, content_type="text/xml")
    source = NBT(local_template("nbt"))
    assert source.parse(source.fetch(http, DAY, TIMEOUT), DAY)[0].units_per_usd == Decimal("9.3450")


def test_fetch_404_is_no_data(httpserver, local_template, http):
    httpserver.expect_request("/en/kurs/export_xml.php").respond_with_data("", status=404)
    with pytest.raises(NoData):
        NBT(local_template("nbt")).fetch(http, DAY, TIMEOUT)
