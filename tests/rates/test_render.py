"""Rendering: exact rate formatting, CSV long/wide, JSON, chunked output."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Context, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedsvc.rates.read import formats as render
from feedsvc.rates.read.formats import format_rate, render_csv, render_json, render_latest, render_ndjson
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.read.series import RateRow

KZT, UZS = Pair("KZT", "USD"), Pair("UZS", "USD")


@pytest.mark.parametrize(("rate", "digits", "text"), [
    (Decimal(1) / Decimal("12194.21"), 7, "0.00008200613"),
    (Decimal(1) / Decimal("12194.21"), 6, "0.0000820061"),
    (Decimal("0.00008"), 6, "0.0000800000"),
    (Decimal("517.07302837"), 11, "517.07302837"),
    (Decimal("3.5"), 6, "3.50000"),
    (Decimal("1234567.891"), 6, "1234570"),
    (Decimal(1) / Decimal(3), 6, "0.333333"),
    (Decimal("0.9999996"), 6, "1.00000"),
])
def test_format_rate(rate: Decimal, digits: int, text: str) -> None:
    assert format_rate(rate, digits) == text
    assert "E" not in text and "e" not in text


def rows(n: int) -> list[RateRow]:
    out = []
    for i in range(n):
        day = date.fromordinal(date(2000, 1, 1).toordinal() + i)
        out.append(RateRow(day, KZT, Decimal(1) / Decimal("512.5"), 6, None if i == 0 else Decimal("-0.25"),
                           "nbk", None if i == 0 else day - timedelta(days=1)))
        if i % 2 == 0:
            out.append(RateRow(day, UZS, Decimal(1) / Decimal("12936.68"), 7, Decimal("0.00"), "cbu",
                               day - timedelta(days=2 if i else 1)))
    return out


def test_csv_long() -> None:
    query = RateQuery((KZT, UZS), date(2000, 1, 1), date(2000, 1, 2))
    text = "".join(render_csv(rows(2), query))
    assert text.splitlines() == [
        "date,pair,rate,change_pct,source",
        "2000-01-01,KZT/USD,0.00195122,,nbk",
        "2000-01-01,UZS/USD,0.00007729959,0.00,cbu",
        "2000-01-02,KZT/USD,0.00195122,-0.25,nbk",
    ]
    assert text.endswith("\r\n")


def test_csv_wide_leaves_missing_cells_empty() -> None:
    query = RateQuery((UZS, KZT), date(2000, 1, 1), date(2000, 1, 2), layout="wide")
    table = list(csv.reader(io.StringIO("".join(render_csv(rows(2), query)))))
    assert table == [["date", "UZS/USD", "KZT/USD"], ["2000-01-01", "0.00007729959", "0.00195122"],
                     ["2000-01-02", "", "0.00195122"]]


def test_output_comes_in_chunks_of_bounded_size() -> None:
    query = RateQuery((KZT, UZS), date(2000, 1, 1), date(2030, 1, 1))
    for renderer in (render_csv, render_json, render_ndjson):
        chunks = list(renderer(iter(rows(3000)), query))
        assert len(chunks) > 5
        assert max(map(len, chunks)) < render.CHUNK_ROWS * 200


def test_json_is_valid_and_exact() -> None:
    query = RateQuery((KZT, UZS), date(2000, 1, 1), date(2000, 1, 2))
    body = json.loads("".join(render_json(rows(2), query)))
    assert body["from"] == "2000-01-01" and body["pairs"] == ["KZT/USD", "UZS/USD"]
    assert body["rates"][1] == {"date": "2000-01-01", "pair": "UZS/USD", "rate": "0.00007729959",
                                "change_pct": 0.0, "prev_date": "1999-12-31", "source": "cbu"}
    assert body["rates"][0]["change_pct"] is None and body["rates"][0]["prev_date"] is None
    assert body["rates"][2]["prev_date"] == "2000-01-01"
    assert json.loads("".join(render_json([], query)))["rates"] == []
    latest = json.loads(render_latest([(rows(2)[-1], True)]))
    assert list(latest["rates"][0]) == ["pair", "date", "rate", "change_pct", "prev_date", "stale", "source"]
    assert latest["rates"][0]["stale"] is True and latest["rates"][0]["prev_date"] == "2000-01-01"


def reference_format_rate(rate: Decimal, digits: int) -> str:
    """format_rate as first written (quantize to the last wanted digit): the fast one must agree."""
    context = Context(prec=60)
    exponent = rate.adjusted() - (digits - 1)
    rounded = rate.quantize(Decimal(1).scaleb(exponent), context=context)
    if rounded.adjusted() > rate.adjusted():
        rounded = rate.quantize(Decimal(1).scaleb(exponent + 1), context=context)
    return format(rounded, "f")


# Stored values (up to 20 digits, any scale) and the 40-digit quotients pairs are derived as.
stored = st.builds(lambda coefficient, exponent: Decimal(coefficient).scaleb(exponent),
                   st.integers(1, 10**20 - 1), st.integers(-25, 8))


@given(value=stored, other=stored, digits=st.integers(1, 25), divide=st.booleans())
@settings(max_examples=1000, deadline=None)
def test_format_rate_matches_the_reference(value: Decimal, other: Decimal, digits: int, divide: bool) -> None:
    rate = Context(prec=40).divide(value, other) if divide else value
    assert format_rate(rate, digits) == reference_format_rate(rate, digits)


@pytest.mark.parametrize("rate", ["0.99999949", "0.9999995", "9.9999995", "999999.5", "99999950", "1E+7",
                                  "1.2E+5", "0.0000001", "12194.21", "5E-13"])
@pytest.mark.parametrize("digits", [1, 6, 7, 8])
def test_format_rate_edges_match_the_reference(rate: str, digits: int) -> None:
    assert format_rate(Decimal(rate), digits) == reference_format_rate(Decimal(rate), digits)
