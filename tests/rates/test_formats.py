"""The analyst formats on a real database: group, prev_date, NDJSON, Accept, pandas, the byte cache."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pandas as pd
import pytest
from flask import Flask
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.models import RateObservation
from feedsvc.rates.served import recompute_all

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
FIRST = date(2025, 3, 3)  # a Monday
GAP = (date(2025, 4, 7), date(2025, 4, 18))  # twelve days without data: a gap change_pct spans
EXACT = "pairs=USD/KZT,USD/UZS"  # USD/X rates are the stored values themselves, so exact in the JSON


def store(app: Flask, rows: list[tuple[str, date, str, Decimal]], bump: bool = True) -> None:
    """Insert (source, date, currency, units per USD); bump the rates marker unless told not to."""
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        for source, day, currency, value in rows:
            session.add(RateObservation(source=source, date=day, currency="USD", quote=currency, value=value,
                                        fetched_at=NOW))
        # Rows inserted directly: materialise the served series as an ingest would.
        recompute_all(session, app.config["RATES_SOURCES"])
        if bump:
            bump_markers(session, ["rates"], NOW)


def observed_days() -> list[date]:
    """Weekdays from FIRST for 90 days, without the GAP."""
    days = (FIRST + timedelta(days=i) for i in range(90))
    return [d for d in days if d.weekday() < 5 and not GAP[0] <= d <= GAP[1]]


@pytest.fixture
def rates_app(app: Flask) -> Flask:
    """Weekday KZT, UZS and KGS values from currency-api with a gap, and NBK for KZT on some days."""
    rows = []
    for i, day in enumerate(observed_days()):
        rows += [("currency-api", day, "KZT", Decimal(500) + Decimal(i * 7 % 13) * Decimal("0.37")),
                 ("currency-api", day, "UZS", Decimal("12900") + Decimal(i) * Decimal("3.5")),
                 ("currency-api", day, "KGS", Decimal("87.4766") + Decimal(i) / 100)]
        if i % 10 == 3:
            rows.append(("nbk", day, "KZT", Decimal("501.25") + i))
    store(app, rows)
    return app


def get_json(app: Flask, url: str) -> dict:
    response = app.test_client().get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def half_unit(text: str) -> Decimal:
    """Half a unit in the last place written in ``text``."""
    return Decimal(1).scaleb(Decimal(text).as_tuple().exponent) / 2


@pytest.mark.parametrize("group", ["week", "month", "year"])
def test_group_means_close_and_count_follow_the_day_rows(rates_app: Flask, group: str) -> None:
    query = f"{EXACT}&from=2025-03-05&to=2025-05-30"
    days = get_json(rates_app, f"/rates.json?{query}")["rates"]
    periods = get_json(rates_app, f"/rates.json?{query}&group={group}")
    assert periods["group"] == group
    expected_means: dict[str, Decimal] = {}
    for row in periods["rates"]:
        start = date.fromisoformat(row["date"])
        same = [d for d in days if d["pair"] == row["pair"] and start <= date.fromisoformat(d["date"])
                and _same_period(start, date.fromisoformat(d["date"]), group)]
        mean = sum(Decimal(d["rate"]) for d in same) / len(same)
        assert abs(Decimal(row["rate"]) - mean) <= half_unit(row["rate"]), (row, mean)
        assert (row["count"], row["close"]) == (len(same), same[-1]["rate"])
        previous = expected_means.get(row["pair"])
        if previous is None:
            assert row["change_pct"] is None and row["prev_date"] is None
        else:
            change = ((mean / previous[1] - 1) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
            assert (Decimal(str(row["change_pct"])), row["prev_date"]) == (change, previous[0])
        expected_means[row["pair"]] = (row["date"], mean)
    assert sum(row["count"] for row in periods["rates"]) == len(days)


def _same_period(start: date, day: date, group: str) -> bool:
    if group == "week":
        return start <= day < start + timedelta(days=7) and start.weekday() == 0
    if group == "month":
        return (day.year, day.month) == (start.year, start.month) and start.day == 1
    return day.year == start.year and (start.month, start.day) == (1, 1)


def test_group_month_csv_and_wide(rates_app: Flask) -> None:
    client = rates_app.test_client()
    body = client.get(f"/rates.csv?{EXACT}&from=2025-03-01&to=2025-05-31&group=month").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert list(rows[0]) == ["date", "pair", "rate", "close", "count", "change_pct", "source"]
    as_json = get_json(rates_app, f"/rates.json?{EXACT}&from=2025-03-01&to=2025-05-31&group=month")["rates"]
    assert [(r["date"], r["pair"], r["rate"], r["close"], int(r["count"])) for r in rows] == [
        (j["date"], j["pair"], j["rate"], j["close"], j["count"]) for j in as_json]
    wide = client.get(f"/rates.csv?{EXACT}&from=2025-03-01&to=2025-05-31&group=month&layout=wide")
    wide_rows = list(csv.DictReader(io.StringIO(wide.get_data(as_text=True))))
    assert [w["USD/UZS"] for w in wide_rows] == [j["rate"] for j in as_json if j["pair"] == "USD/UZS"]


def test_grouped_source_names_every_source_of_the_period(rates_app: Flask) -> None:
    rows = get_json(rates_app, "/rates.json?pairs=KZT/USD&from=2025-03-01&to=2025-03-31&group=month")["rates"]
    days = get_json(rates_app, "/rates.json?pairs=KZT/USD&from=2025-03-01&to=2025-03-31")["rates"]
    assert rows[0]["source"].split(";") == list(dict.fromkeys(d["source"] for d in days))


def test_prev_date_is_the_row_change_pct_compares_with(rates_app: Flask) -> None:
    rows = get_json(rates_app, "/rates.json?pairs=USD/UZS&from=2025-04-28&to=2025-05-09")["rates"]
    # The first row (a Monday) compares with the Friday before from.
    assert (rows[0]["date"], rows[0]["prev_date"]) == ("2025-04-28", "2025-04-25")
    assert [r["prev_date"] for r in rows[1:]] == [r["date"] for r in rows[:-1]]
    before = get_json(rates_app, "/rates.json?pairs=USD/UZS&from=2025-04-25&to=2025-04-25")["rates"][0]
    change = (Decimal(rows[0]["rate"]) / Decimal(before["rate"]) - 1) * 100
    assert Decimal(str(rows[0]["change_pct"])) == change.quantize(Decimal("0.01"))
    first = get_json(rates_app, f"/rates.json?pairs=USD/UZS&from={FIRST}&to={FIRST}")["rates"][0]
    assert first["change_pct"] is None and first["prev_date"] is None


def test_no_change_across_a_gap_of_more_than_a_week(rates_app: Flask) -> None:
    rows = get_json(rates_app, "/rates.json?pairs=USD/UZS&from=2025-04-01&to=2025-04-30")["rates"]
    after_gap = next(r for r in rows if r["date"] > GAP[1].isoformat())
    assert after_gap["date"] == "2025-04-21" and after_gap["change_pct"] is None
    assert after_gap["prev_date"] is None  # 2025-04-04 lies 17 days back
    assert all(r["change_pct"] is not None for r in rows if r["date"] != "2025-04-21")


def test_ndjson_rows_are_the_json_rows(rates_app: Flask) -> None:
    query = "pairs=KZT/USD,USD/UZS,KGS/KZT&from=2025-03-20&to=2025-04-30"
    response = rates_app.test_client().get(f"/rates.ndjson?{query}")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    lines = response.get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in lines] == get_json(rates_app, f"/rates.json?{query}")["rates"]


def test_pandas_reads_csv_and_ndjson_as_documented(rates_app: Flask) -> None:
    query = "pairs=KZT/USD,USD/UZS,UZS/USD&from=2025-03-20&to=2025-04-30"
    client = rates_app.test_client()
    rows = get_json(rates_app, f"/rates.json?{query}")["rates"]
    frame = pd.read_csv(io.StringIO(client.get(f"/rates.csv?{query}").get_data(as_text=True)),
                        parse_dates=["date"])
    assert str(frame["date"].dtype).startswith("datetime64")
    assert [(d.date().isoformat(), p, Decimal(repr(r))) for d, p, r in
            zip(frame["date"], frame["pair"], frame["rate"], strict=True)] == [
        (r["date"], r["pair"], Decimal(r["rate"])) for r in rows]
    lines = pd.read_json(io.StringIO(client.get(f"/rates.ndjson?{query}").get_data(as_text=True)),
                         lines=True, dtype={"rate": str})
    assert list(lines["rate"]) == [r["rate"] for r in rows]  # exact strings, as in the JSON
    assert [d.date().isoformat() for d in lines["date"]] == [r["date"] for r in rows]


@pytest.mark.parametrize(("accept", "path", "mimetype"), [
    ("text/csv", "/rates.csv", "text/csv"),
    ("application/x-ndjson", "/rates.ndjson", "application/x-ndjson"),
    ("text/csv;q=0.5, application/x-ndjson", "/rates.ndjson", "application/x-ndjson"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "/rates.json", "application/json"),
    ("image/png", "/rates.json", "application/json"),
    ("garbage", "/rates.json", "application/json"),
])
def test_accept_on_rates_json(rates_app: Flask, accept: str, path: str, mimetype: str) -> None:
    query = "?pairs=KZT/USD&from=2025-03-20&to=2025-04-30&group=week"
    client = rates_app.test_client()
    negotiated = client.get("/rates.json" + query, headers={"Accept": accept})
    direct = client.get(path + query)
    assert negotiated.status_code == 200 and negotiated.mimetype == mimetype
    assert negotiated.get_data() == direct.get_data()
    assert "Accept" in negotiated.headers["Vary"]
    again = client.get("/rates.json" + query, headers={"Accept": accept,
                                                     "If-None-Match": negotiated.headers["ETag"]})
    assert again.status_code == 304 and "Accept" in again.headers["Vary"]
    if mimetype == "text/csv":
        assert negotiated.headers["Content-Disposition"] == direct.headers["Content-Disposition"]


def test_each_format_has_its_own_etag_and_304(rates_app: Flask) -> None:
    client = rates_app.test_client()
    query = "?pairs=KZT/USD&from=2025-03-20&to=2025-04-30"
    etags = {}
    for accept in ("application/json", "text/csv", "application/x-ndjson"):
        first = client.get("/rates.json" + query, headers={"Accept": accept})
        etags[accept] = first.headers["ETag"]
        assert client.get("/rates.json" + query, headers={
            "Accept": accept, "If-None-Match": first.headers["ETag"]}).status_code == 304
    assert len(set(etags.values())) == 3
    # Another format's ETag is not a match: the client gets the bytes of what it asked for.
    other = client.get("/rates.json" + query, headers={"Accept": "text/csv",
                                                       "If-None-Match": etags["application/json"]})
    assert other.status_code == 200 and other.mimetype == "text/csv"
    for path in ("/rates.csv", "/rates.ndjson"):
        first = client.get(path + query)
        assert client.get(path + query, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_bounded_answers_come_from_the_cache_long_ones_stream(rates_app: Flask) -> None:
    client = rates_app.test_client()
    short = "/rates.json?pairs=USD/UZS&from=2025-06-02&to=2025-06-30"
    long = "/rates.json?from=2023-01-01&to=2025-12-31"  # five pairs over three years: over the cut-off
    before_short, before_long = client.get(short).get_json(), client.get(long).get_json()
    # A row written without bumping the marker: only an answer rendered afresh can show it.
    store(rates_app, [("currency-api", date(2025, 6, 2), "UZS", Decimal("13000"))], bump=False)
    assert client.get(short).get_json() == before_short == {**before_short, "rates": []}
    assert len(client.get(long).get_json()["rates"]) == len(before_long["rates"]) + 1
    store(rates_app, [], bump=True)  # the marker moves: a new ETag, a new cache key
    assert [Decimal(r["rate"]) for r in client.get(short).get_json()["rates"]] == [Decimal(13000)]


@pytest.mark.parametrize("path", ["/rates.csv", "/rates.json", "/rates.ndjson"])
@pytest.mark.parametrize(("query", "field", "text"), [
    ("group=fortnight", "group", "allowed: day, week, month, year"),
    ("group=", "group", "allowed: day, week, month, year"),
    ("group=week&group=month", "_repeated", "give group once"),
    ("pairs=", "pairs", "not a pair"),
    ("from=2025-02-30", "from", "not a calendar date"),
    ("from=1900-01-01&to=2100-12-31&group=year", "to", "at most"),
    ("stat=mean", "_unknown", "allowed: from, to, pairs, source, group"),
])
def test_bad_parameters_are_a_400_listing_what_is_allowed(rates_app: Flask, path: str, query: str,
                                                          field: str, text: str) -> None:
    response = rates_app.test_client().get(f"{path}?{query}", headers={"Accept": "text/csv"})
    assert response.status_code == 400 and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert any(text in message for message in error["fields"][field]), error
