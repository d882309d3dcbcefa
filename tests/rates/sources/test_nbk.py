"""NBK (KZT): parse on the real file, and fetch from a local server at the bank's URL layout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests

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
    observations = NBK("").parse(real, DAY)
    assert observations == [Observation(DAY, "KZT", Decimal("478.77"))]
    assert str(observations[0].units_per_usd) == "478.77"


def test_parse_divides_by_quant_keeping_every_digit(real):
    payload = real.replace(USD_LINE, b"<description>4787.75</description><quant>10</quant>")
    assert str(NBK("").parse(payload, DAY)[0].units_per_usd) == "478.775"


def test_parse_returns_only_kzt_although_the_file_lists_kgs_and_uzs(real):
    assert b"<title>KGS</title>" in real and b"<title>UZS</title>" in real
    assert {observation.currency for observation in NBK("").parse(real, DAY)} == {"KZT"}


def test_parse_of_another_day_is_no_data(real):
    with pytest.raises(NoData):
        NBK("").parse(real, date(2026, 4, 2))


def test_parse_refuses_broken_bodies(real, spoil):
    with pytest.raises(SourceError):
        NBK("").parse(spoil(real), DAY)


@pytest.mark.parametrize("value", [b"0.00", b"-478.77", b"NaN", b"Infinity", b"", b"478,77.1", b"4.7877e2"])
def test_parse_refuses_unusable_values(real, value):
    payload = real.replace(b"<description>478.77</description>", b"<description>%s</description>" % value)
    with pytest.raises(SourceError):
        NBK("").parse(payload, DAY)


def test_parse_without_a_usd_line_is_an_error(real):
    with pytest.raises(SourceError, match="USD"):
        NBK("").parse(real.replace(b"<title>USD</title>", b"<title>XXX</title>"), DAY)


def test_fetch_and_parse_from_the_bank_url_layout(httpserver, local_template, real, http):
    httpserver.expect_request("/rss/get_rates.cfm", query_string="fdate=01.04.2026").respond_with_data(
        real, content_type="text/xml"
    )
    source = NBK(local_template("nbk"))
    assert source.parse(source.fetch(http, DAY, TIMEOUT), DAY)[0].units_per_usd == Decimal("478.77")


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
