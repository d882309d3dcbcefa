"""The rates iframe page /embed/rates: the same numbers as /rates/latest.json, arrows, labels."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest


def ticker_rows(page: str) -> list[dict[str, str]]:
    pattern = re.compile(
        r'<li aria-label="(?P<label>[^"]*)" title="(?P<title>[^"]*)"><span class="pair">(?P<pair>[^<]*)'
        r'</span> =\s*<span class="rate" title="(?P<exact>[^"]*)">(?P<rate>[^<]*)</span> '
        r'<span class="chg (?P<cls>\w+)">(?P<chg>[^<]*)'
    )
    return [match.groupdict() for match in pattern.finditer(page)]


def test_shows_every_pair_like_latest_json(client, demo_rates):
    latest = client.get("/rates/latest.json").get_json()["rates"]
    response = client.get("/embed/rates")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == client.get("/rates/latest.json").headers["Cache-Control"]
    rows = ticker_rows(response.get_data(as_text=True))
    assert [row["pair"] for row in rows] == [rate["pair"] for rate in latest]
    assert len(rows) == 5
    for row, rate in zip(rows, latest, strict=True):
        assert row["exact"] == rate["rate"]
        # shown for reading: six significant digits in plain notation, the nearest to the exact value
        shown, exact = Decimal(row["rate"]), Decimal(rate["rate"])
        assert "E" not in row["rate"].upper() and len(shown.as_tuple().digits) == 6
        assert abs(shown - exact) <= Decimal(1).scaleb(shown.adjusted() - 5) / 2
        stale = " (nothing newer has come since)" if rate["stale"] else ""
        assert row["title"] == f"Source: {rate['source']}, {rate['date']}{stale}"
        change = rate["change_pct"]
        expected = "flat" if not change else ("up" if change > 0 else "down")
        assert row["cls"] == expected
        arrow = {"up": "\u25b2", "down": "\u25bc", "flat": ""}[expected]
        assert row["chg"].startswith(arrow)
        assert row["label"].startswith(f"{rate['pair']} {rate['rate']}, ")


def test_pairs_and_theme(client, demo_rates):
    page = client.get("/embed/rates?pairs=KGS/USD,USD/KZT&theme=dark").get_data(as_text=True)
    assert [row["pair"] for row in ticker_rows(page)] == ["KGS/USD", "USD/KZT"]
    assert 'class="frame theme-dark"' in page


def test_no_rates_yet(client):
    assert "No rates yet." in client.get("/embed/rates").get_data(as_text=True)


def test_conditional_get(client, demo_rates):
    etag = client.get("/embed/rates").headers["ETag"]
    assert client.get("/embed/rates", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/embed/rates?theme=dark").headers["ETag"] != etag


def test_any_pair_the_rates_api_serves(client, bank_tables):
    latest = client.get("/rates/latest.json?pairs=RUB/KGS,KGS/EUR,CNY/KGS").get_json()["rates"]
    page = client.get("/embed/rates?pairs=RUB/KGS,KGS/EUR,CNY/KGS").get_data(as_text=True)
    rows = ticker_rows(page)
    assert [(row["pair"], row["exact"]) for row in rows] == [(rate["pair"], rate["rate"]) for rate in latest]
    assert [row["pair"] for row in rows] == ["RUB/KGS", "KGS/EUR", "CNY/KGS"]
    assert "National Bank of the Kyrgyz Republic" in page  # the bank's attribution, as it asks
    response = client.get("/embed/rates?pairs=RUB/XXX")
    assert response.status_code == 400 and "unknown currency XXX" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["pairs=XXX/USD", "pairs=KGS", "pairs=RUB/RUB", "theme=neon",
                                   "from=2025-01-01"])
def test_bad_parameters_are_400(client, query):
    assert client.get(f"/embed/rates?{query}").status_code == 400
