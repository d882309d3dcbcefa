"""currency-api and peg sources: parse on the real payloads, fetch (retries, fallback, 404), registry."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import requests

import config
from feedsvc.rates.sources import Observation, all_source_classes, build_sources
from feedsvc.rates.sources.base import NoData, SourceError
from feedsvc.rates.sources.currency_api import CurrencyApi
from feedsvc.rates.sources.http import USER_AGENT, make_http_session
from feedsvc.rates.sources.peg import Peg

DAYS = ["2025-05-01", "2025-05-05", "2025-12-24", "2025-12-25", "2025-12-26", "2025-12-27", "2025-12-28"]
TIMEOUT = (2.0, 5.0)


def real(day: str) -> bytes:
    return (Path(__file__).parents[1] / "fixtures/upstream/currency-api" / f"{day}.usd.json").read_bytes()


@pytest.mark.parametrize("day", DAYS)
def test_parse_keeps_every_published_digit(day: str) -> None:
    published = json.loads(real(day), parse_float=str)["usd"]  # the digits as written in the file
    observations = CurrencyApi("").parse(real(day), date.fromisoformat(day))
    assert [o.currency for o in observations] == ["KZT", "KGS", "TJS", "TMT", "UZS"]
    for obs in observations:
        assert obs.date == date.fromisoformat(day)
        assert str(obs.units_per_usd) == published[obs.currency.lower()]


def test_parse_known_values() -> None:
    observations = CurrencyApi("").parse(real("2025-05-01"), date(2025, 5, 1))
    assert observations[-1] == Observation(date(2025, 5, 1), "UZS", Decimal("12968.91140011"))
    assert observations[1].units_per_usd == Decimal("87.47773033")


def test_parse_reports_the_payload_date_not_the_requested_one() -> None:
    # the ingest refuses the mismatch; parse only says what the file says
    observations = CurrencyApi("").parse(real("2025-05-01"), date(2025, 5, 2))
    assert {o.date for o in observations} == {date(2025, 5, 1)}


@pytest.mark.parametrize(
    "body",
    [b"", b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", b"[1, 2]", b'{"date": "2025-05-01"}',
     b'{"date": "x", "usd": {}}', b'{"date": "2025-05-01", "usd": {"eur": 0.9}}',
     b'{"date": "2025-05-01", "usd": {"kzt": "514.7"}}', b"\xff\xfe\x00"],
    ids=["empty", "html", "array", "no usd", "bad date", "no tracked currency", "string value", "binary"],
)
def test_parse_rejects_unusable_bodies(body: bytes) -> None:
    with pytest.raises(SourceError):
        CurrencyApi("").parse(body, date(2025, 5, 1))


def test_parse_rejects_a_truncated_payload() -> None:
    payload = real("2025-12-24")
    with pytest.raises(SourceError):
        CurrencyApi("").parse(payload[: len(payload) // 2], date(2025, 12, 24))


@pytest.fixture
def currency_api(mirror) -> CurrencyApi:
    return CurrencyApi(mirror.template("currency-api"), mirror.template("currency-api-fallback"))


@pytest.fixture
def http(fast_http) -> requests.Session:
    with make_http_session(fast_http) as session:
        yield session


def test_fetch_sends_our_user_agent_and_returns_the_bytes(httpserver, mirror, currency_api, http) -> None:
    mirror.serve("currency-api", date(2025, 5, 1), real("2025-05-01"))
    assert currency_api.fetch(http, date(2025, 5, 1), TIMEOUT) == real("2025-05-01")
    request, _ = httpserver.log[0]
    assert request.headers["User-Agent"] == USER_AGENT
    assert "feedsvc" in USER_AGENT
    assert request.path == "/cdn.jsdelivr.net/npm/@fawazahmed0/currency-api@2025-05-01/v1/currencies/usd.json"


def test_fetch_retries_500_then_200(httpserver, mirror, currency_api, http) -> None:
    path = mirror.serve("currency-api", date(2025, 5, 1), real("2025-05-01"))
    httpserver.expect_oneshot_request(path).respond_with_data("oops", status=500)
    assert currency_api.fetch(http, date(2025, 5, 1), TIMEOUT) == real("2025-05-01")
    assert mirror.requested() == [path, path]


def test_fetch_asks_the_fallback_once_on_404(httpserver, mirror, currency_api, http) -> None:
    fallback = mirror.serve("currency-api-fallback", date(2025, 5, 5), real("2025-05-05"))
    primary = mirror.serve("currency-api", date(2025, 5, 5), "Not Found", status=404)
    assert currency_api.fetch(http, date(2025, 5, 5), TIMEOUT) == real("2025-05-05")
    assert mirror.requested() == [primary, fallback]  # a 404 is not retried
    assert fallback == "/2025-05-05.currency-api.pages.dev/v1/currencies/usd.json"


def test_fetch_404_on_both_is_no_data(httpserver, mirror, currency_api, http) -> None:
    primary = mirror.serve("currency-api", date(2025, 5, 2), "nope", status=404)
    fallback = mirror.serve("currency-api-fallback", date(2025, 5, 2), "nope", status=404)
    with pytest.raises(NoData):
        currency_api.fetch(http, date(2025, 5, 2), TIMEOUT)
    assert mirror.requested() == [primary, fallback]


def test_fetch_uses_the_fallback_when_the_primary_is_down(httpserver, mirror, currency_api, http,
                                                           closed_port_url) -> None:
    source = CurrencyApi(closed_port_url, currency_api.fallback_template)
    mirror.serve("currency-api-fallback", date(2025, 12, 24), real("2025-12-24"))
    assert source.fetch(http, date(2025, 12, 24), TIMEOUT) == real("2025-12-24")


def test_fetch_without_fallback_raises_the_primary_error(http, closed_port_url) -> None:
    with pytest.raises(requests.ConnectionError):
        CurrencyApi(closed_port_url).fetch(http, date(2025, 12, 24), TIMEOUT)


def test_peg_is_three_and_a_half_since_2015_without_http(http) -> None:
    peg = Peg("")
    assert peg.parse(peg.fetch(http, date(2015, 1, 1), TIMEOUT), date(2015, 1, 1)) == [
        Observation(date(2015, 1, 1), "TMT", Decimal("3.5"))
    ]
    with pytest.raises(NoData):
        peg.fetch(http, date(2014, 12, 31), TIMEOUT)


def test_registry_builds_enabled_sources_in_priority_order() -> None:
    settings = vars(config.TestConfig({"FEEDSVC_RATES_SOURCES": "peg,currency-api",
                              "FEEDSVC_SOURCE_CURRENCY_API_URL": "http://127.0.0.1:1/{date:%Y}"}))
    sources = build_sources(settings)
    assert list(sources) == ["peg", "currency-api"]
    assert sources["currency-api"].url_for(date(2025, 5, 1)) == "http://127.0.0.1:1/2025"
    assert sources["currency-api"].fallback_template == CurrencyApi.default_fallback_url
    assert {"currency-api", "peg"} <= set(all_source_classes())
    for name, cls in all_source_classes().items():
        assert cls.name == name and cls.currencies and cls.attribution
