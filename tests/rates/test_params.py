"""The rate query parsers: defaults, normalisation, and a message listing what is allowed for each value."""

from __future__ import annotations

from datetime import date

import pytest

from feedsvc.core.errors import BadRequestParams
from feedsvc.rates.read.params import (
    Pair,
    RateQuery,
    parse_chart_query,
    parse_csv_query,
    parse_json_query,
    resolve_range,
)

TRACKED = ("KZT", "KGS", "TJS", "TMT", "UZS")
SOURCES = ("nbk", "currency-api")


def parse(**args: str) -> RateQuery:
    return parse_csv_query(args, TRACKED, SOURCES)


def test_defaults() -> None:
    query = parse()
    assert query.pairs == tuple(Pair(c, "USD") for c in TRACKED)
    assert (query.start, query.end, query.layout, query.source) == (None, None, "long", None)


def test_pairs_are_normalised_and_deduplicated() -> None:
    query = parse(pairs="kzt/kgs, USD/UZS,KZT/KGS", layout="wide", source="nbk")
    assert query.pairs == (Pair("KZT", "KGS"), Pair("USD", "UZS"))
    assert query.currencies == ("KZT", "KGS", "UZS")
    assert (query.layout, query.source) == ("wide", "nbk")


@pytest.mark.parametrize(("args", "field", "text"), [
    ({"from": "2025-02-30"}, "from", "YYYY-MM-DD"),
    ({"from": "2025-2-3"}, "from", "YYYY-MM-DD"),
    ({"to": "yesterday"}, "to", "YYYY-MM-DD"),
    ({"from": "2025-05-02", "to": "2025-05-01"}, "from", "after"),
    ({"from": "1990-01-01", "to": "2025-01-01"}, "to", "30 years"),
    ({"to": "0001-01-05"}, "to", "from 1900-01-01 to 2100-12-31"),
    ({"from": "9999-12-31"}, "from", "from 1900-01-01 to 2100-12-31"),
    ({"from": "1899-12-31"}, "from", "from 1900-01-01 to 2100-12-31"),
    ({"to": "2101-01-01"}, "to", "from 1900-01-01 to 2100-12-31"),
    ({"pairs": "EUR/USD"}, "pairs", "allowed: KZT, KGS, TJS, TMT, UZS, USD"),
    ({"pairs": "KZT-USD"}, "pairs", "BASE/QUOTE"),
    ({"pairs": ""}, "pairs", "BASE/QUOTE"),
    ({"pairs": "USD/USD"}, "pairs", "itself"),
    ({"layout": "tall"}, "layout", "allowed: long, wide"),
    ({"source": "ecb"}, "source", "allowed: nbk, currency-api"),
    ({"limit": "5"}, "_unknown", "allowed: from, to, pairs, source, group, layout"),
])
def test_bad_values(args: dict[str, str], field: str, text: str) -> None:
    with pytest.raises(BadRequestParams) as caught:
        parse(**args)
    assert text in caught.value.fields[field][0] and text in caught.value.description


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(BadRequestParams) as caught:
        parse(**{"from": "x", "to": "y", "pairs": "EUR/USD", "layout": "z"})
    assert set(caught.value.fields) == {"from", "to", "pairs", "layout"}


def test_layout_only_where_allowed() -> None:
    with pytest.raises(BadRequestParams) as caught:
        parse_json_query({"layout": "long"}, TRACKED, SOURCES)
    assert list(caught.value.fields) == ["_unknown"]


def test_page_takes_pairs_or_the_old_pair() -> None:
    assert parse_chart_query({}, TRACKED).pairs == (Pair("KZT", "USD"),)
    assert parse_chart_query({"pairs": ""}, TRACKED).pairs == (Pair("KZT", "USD"),)  # a form's empty field
    assert parse_chart_query({"pair": "usd/uzs"}, TRACKED).pairs == (Pair("USD", "UZS"),)
    two = (Pair("KZT", "USD"), Pair("KGS", "USD"))
    assert parse_chart_query({"pairs": "KZT/USD,kgs/usd"}, TRACKED).pairs == two
    assert parse_chart_query({"pair": "KZT/USD,KGS/USD"}, TRACKED).pairs == two
    with pytest.raises(BadRequestParams, match="not both"):
        parse_chart_query({"pair": "KZT/USD", "pairs": "KGS/USD"}, TRACKED)
    with pytest.raises(BadRequestParams, match="at most 8 pairs"):
        many = [f"{c}/USD" for c in TRACKED] + [f"USD/{c}" for c in TRACKED]
        parse_chart_query({"pairs": ",".join(many)}, TRACKED)


def test_resolve_range() -> None:
    newest, today = date(2025, 5, 5), date(2025, 6, 1)
    query = resolve_range(parse(), newest, today)
    assert (query.start, query.end) == (date(2025, 4, 6), newest)
    query = resolve_range(parse(), None, today)
    assert (query.start, query.end) == (date(2025, 5, 3), today)
    query = resolve_range(parse(to="2025-01-31"), newest, today)
    assert (query.start, query.end) == (date(2025, 1, 2), date(2025, 1, 31))
    query = resolve_range(parse(**{"from": "2025-05-20"}), newest, today)  # after the newest: no 400
    assert (query.start, query.end) == (date(2025, 5, 20), date(2025, 5, 20))
    assert resolve_range(parse(**{"from": "2025-01-01", "to": "2025-01-02"}), newest, today).start == date(
        2025, 1, 1)


@pytest.mark.parametrize("args", [{"from": "1900-01-01"}, {"from": "1995-01-01"}])
def test_an_open_range_is_capped_like_a_closed_one(args: dict[str, str]) -> None:
    with pytest.raises(BadRequestParams) as caught:
        resolve_range(parse(**args), date(2025, 5, 5), date(2025, 6, 1))
    assert "30 years" in caught.value.fields["from"][0]
    assert "give both from and to" in caught.value.description


def test_the_bounds_themselves_are_dates_that_work() -> None:
    query = resolve_range(parse(to="1900-01-01"), None, date(2025, 6, 1))
    assert (query.start, query.end) == (date(1899, 12, 3), date(1900, 1, 1))  # 30 days, no overflow
    query = resolve_range(parse(**{"from": "2100-12-31"}), date(2025, 5, 5), date(2025, 6, 1))
    assert (query.start, query.end) == (date(2100, 12, 31), date(2100, 12, 31))
