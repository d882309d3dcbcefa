"""CBT (TMT): parse on the real file, and fetch from a local server at the bank's URL layout."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

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
    observations = CBT("").parse(real, DAY)
    assert observations == [Observation(DAY, "TMT", Decimal("3.5"))]
    assert str(observations[0].units_per_usd) == "3.5"


def test_parse_divides_by_multiplier_keeping_every_digit(real):
    payload = real.replace(USD_LINE, b"<multiplier>1000</multiplier><rate_tmt>3500.0</rate_tmt>")
    assert str(CBT("").parse(payload, DAY)[0].units_per_usd) == "3.5000"


def test_parse_reads_rate_tmt_not_rate_usd(real):
    payload = real.replace(USD_LINE, b"<multiplier>1</multiplier><rate_tmt>3.4999</rate_tmt>")
    assert CBT("").parse(payload, DAY)[0].units_per_usd == Decimal("3.4999")


def test_parse_returns_only_tmt_although_the_file_lists_kzt_kgs_uzs_tjs(real):
    for code in (b"KZT", b"KGS", b"UZS", b"TJS"):
        assert b'<rate code="%s">' % code in real
    assert [observation.currency for observation in CBT("").parse(real, DAY)] == ["TMT"]


def test_parse_of_another_day_is_no_data(real):
    with pytest.raises(NoData):
        CBT("").parse(real, date(2026, 5, 21))


def test_parse_refuses_broken_bodies(real, spoil):
    with pytest.raises(SourceError):
        CBT("").parse(spoil(real), DAY)


@pytest.mark.parametrize("value", [b"0", b"-3.5", b"NaN", b"", b"3,5"])
def test_parse_refuses_unusable_values(real, value):
    payload = real.replace(USD_LINE, b"<multiplier>1</multiplier><rate_tmt>%s</rate_tmt>" % value)
    with pytest.raises(SourceError):
        CBT("").parse(payload, DAY)


def test_fetch_sends_a_browser_like_user_agent(httpserver, local_template, real, http):
    httpserver.expect_request("/kurs/2026/20052026.xml").respond_with_data(real, content_type="text/xml")
    source = CBT(local_template("cbt"))
    assert source.parse(source.fetch(http, DAY, TIMEOUT), DAY)[0].units_per_usd == Decimal("3.5")
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
