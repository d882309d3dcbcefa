"""NBK (KZT): parse on the real file, and fetch from a local server at the bank's URL layout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from table_lines import line, refused_codes, usd

from feedsvc.rates.sources.base import NoData, Observation, SourceError
from feedsvc.rates.sources.nbk import NBK

DAY = date(2026, 4, 1)
FILE = "nbk/get_rates_fdate_01.04.2026.xml"
USD_LINE = b"<description>478.77</description>\n            <quant>1</quant>"
TIMEOUT = (2.0, 5.0)


@pytest.fixture
def real(upstream) -> bytes:
    payload = upstream(FILE)
    assert payload.count(USD_LINE) == 1
    return payload


def test_parse_takes_the_usd_line_exactly(real):
    table = NBK("").parse(real, DAY)
    assert usd(table) == Observation(DAY, "USD", "KZT", Decimal("478.77"))
    assert str(usd(table).value) == "478.77"


def test_parse_divides_by_quant_keeping_every_digit(real):
    payload = real.replace(USD_LINE, b"<description>4787.75</description><quant>10</quant>")
    assert str(usd(NBK("").parse(payload, DAY)).per_unit) == "478.775"


def test_parse_returns_every_line_as_published_amd_per_10(real):
    table = NBK("").parse(real, DAY)
    assert len(table.observations) == 39 and table.refused == []
    assert line(table, "AMD") == Observation(DAY, "AMD", "KZT", Decimal("12.72"), 10)
    assert {obs.quote for obs in table.observations} == {"KZT"}


def test_parse_of_another_day_is_no_data(real):
    with pytest.raises(NoData):
        NBK("").parse(real, date(2026, 4, 2))


def test_parse_refuses_broken_bodies(real, spoil):
    with pytest.raises(SourceError):
        NBK("").parse(spoil(real), DAY)


@pytest.mark.parametrize("value", [b"0.00", b"-478.77", b"NaN", b"Infinity", b"", b"478,77.1", b"4.7877e2"])
def test_parse_refuses_an_unusable_value_for_its_currency_alone(real, value):
    payload = real.replace(b"<description>478.77</description>", b"<description>%s</description>" % value)
    table = NBK("").parse(payload, DAY)
    assert refused_codes(table) == ["USD"] and len(table.observations) == 38


def test_parse_without_a_usd_line_keeps_the_rest(real):
    table = NBK("").parse(real.replace(b"<title>USD</title>", b"<title>XXX</title>"), DAY)
    assert "USD" not in {obs.currency for obs in table.observations}
    assert line(table, "XXX").value == Decimal("478.77")  # a code as the bank wrote it


def test_fetch_and_parse_from_the_bank_url_layout(httpserver, local_template, real, http):
    httpserver.expect_request("/rss/get_rates.cfm", query_string="fdate=01.04.2026").respond_with_data(
        real, content_type="text/xml"
    )
    source = NBK(local_template("nbk"))
    assert usd(source.parse(source.fetch(http, DAY, TIMEOUT), DAY)).value == Decimal("478.77")


def test_fetch_404_is_no_data_and_5xx_an_http_error(httpserver, local_template, http):
    httpserver.expect_request("/rss/get_rates.cfm", query_string="fdate=04.04.2026").respond_with_data(
        "not found", status=404
    )
    httpserver.expect_request("/rss/get_rates.cfm", query_string="fdate=06.04.2026").respond_with_data(
        "down", status=503
    )
    source = NBK(local_template("nbk"))
    with pytest.raises(NoData):
        source.fetch(http, date(2026, 4, 4), TIMEOUT)
    with pytest.raises(requests.HTTPError):
        source.fetch(http, date(2026, 4, 6), TIMEOUT)
