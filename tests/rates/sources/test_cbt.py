"""CBT (TMT): parse on the real file, and fetch from a local server at the bank's URL layout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from table_lines import line, refused_codes, usd

from feedsvc.rates.sources.base import NoData, Observation, SourceError
from feedsvc.rates.sources.cbt import CBT

DAY = date(2026, 5, 20)
FILE = "cbt/kurs_2026_20052026.xml"
USD_LINE = b"<multiplier>1</multiplier>\r\n\t\t<rate_tmt>3.5</rate_tmt>"  # the bank writes CRLF
TIMEOUT = (2.0, 5.0)


@pytest.fixture
def real(upstream) -> bytes:
    payload = upstream(FILE)
    assert payload.count(USD_LINE) == 1
    return payload


def test_parse_takes_the_usd_line_exactly(real):
    table = CBT("").parse(real, DAY)
    assert usd(table) == Observation(DAY, "USD", "TMT", Decimal("3.5"))
    assert str(usd(table).value) == "3.5"


def test_parse_divides_by_multiplier_keeping_every_digit(real):
    payload = real.replace(USD_LINE, b"<multiplier>1000</multiplier><rate_tmt>3500.0</rate_tmt>")
    assert str(usd(CBT("").parse(payload, DAY)).per_unit) == "3.5000"


def test_parse_reads_rate_tmt_not_rate_usd(real):
    payload = real.replace(USD_LINE, b"<multiplier>1</multiplier><rate_tmt>3.4999</rate_tmt>")
    assert usd(CBT("").parse(payload, DAY)).value == Decimal("3.4999")


def test_parse_returns_every_line_as_published_uzs_per_1000(real):
    table = CBT("").parse(real, DAY)
    assert len(table.observations) == 48 and table.refused == []
    assert line(table, "UZS") == Observation(DAY, "UZS", "TMT", Decimal("0.2913"), 1000)
    assert line(table, "IRR").nominal == 10000


def test_parse_of_another_day_is_no_data(real):
    with pytest.raises(NoData):
        CBT("").parse(real, date(2026, 5, 21))


def test_parse_refuses_broken_bodies(real, spoil):
    with pytest.raises(SourceError):
        CBT("").parse(spoil(real), DAY)


@pytest.mark.parametrize("value", [b"0", b"-3.5", b"NaN", b"", b"3,5"])
def test_parse_refuses_an_unusable_value_for_its_currency_alone(real, value):
    payload = real.replace(USD_LINE, b"<multiplier>1</multiplier><rate_tmt>%s</rate_tmt>" % value)
    table = CBT("").parse(payload, DAY)
    assert refused_codes(table) == ["USD"] and len(table.observations) == 47


def test_fetch_sends_a_browser_like_user_agent(httpserver, local_template, real, http):
    httpserver.expect_request("/kurs/2026/20052026.xml").respond_with_data(real, content_type="text/xml")
    source = CBT(local_template("cbt"))
    assert usd(source.parse(source.fetch(http, DAY, TIMEOUT), DAY)).value == Decimal("3.5")
    (request, _), = httpserver.log
    agent = request.headers["User-Agent"]
    assert agent.startswith("Mozilla/5.0 (") and "Gecko" in agent
    assert agent != http.headers["User-Agent"]  # overrides the session's own


def test_sunday_404_is_no_data(httpserver, local_template, http):
    sunday = date(2026, 5, 24)
    assert sunday.weekday() == 6
    httpserver.expect_request("/kurs/2026/24052026.xml").respond_with_data("Not Found", status=404)
    with pytest.raises(NoData):
        CBT(local_template("cbt")).fetch(http, sunday, TIMEOUT)
