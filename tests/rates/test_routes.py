"""The rate endpoints on a real app and database: values, layouts, streaming, 400s, 304s, sources."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.models import RateAnomaly, RateObservation, RateRun
from feedsvc.rates.served import recompute_all

NOW = datetime(2025, 5, 6, 12, tzinfo=UTC)


def add_rates(app: Flask, rows: list[tuple[str, str, str, str]], held: list[tuple] = ()) -> None:
    """Insert (source, date, currency, units per USD) rows and held-back marks; bump ``rates``."""
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        for source, day, currency, value in rows:
            session.add(RateObservation(source=source, date=date.fromisoformat(day), currency="USD",
                                        quote=currency, value=Decimal(value), fetched_at=NOW))
        for source, day, currency, value in held:
            session.add(RateAnomaly(source=source, date=date.fromisoformat(day), currency="USD",
                                    quote=currency,
                                    value=Decimal(value), reason="disagree", status="held",
                                    reference_source="currency-api", reference_value=Decimal("1"),
                                    recorded_at=NOW))
        recompute_all(session, app.config["RATES_SOURCES"])  # inserted directly: materialise as ingest does
        bump_markers(session, ["rates"], NOW)


def read_csv(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def rates_app(app: Flask) -> Flask:
    """Three days of currency-api values for all five currencies, plus an NBK value for KZT."""
    rows = []
    for day, kzt, uzs in (("2025-05-01", "512.5", "12936.68"), ("2025-05-02", "515.0", "12950.0"),
                          ("2025-05-05", "517.07302837", "12953.5")):
        rows += [("currency-api", day, "KZT", kzt), ("currency-api", day, "UZS", uzs),
                 ("currency-api", day, "KGS", "87.4766"), ("currency-api", day, "TJS", "10.3245"),
                 ("currency-api", day, "TMT", "3.5")]
    rows.append(("nbk", "2025-05-05", "KZT", "516.00"))
    add_rates(app, rows)
    return app


def test_uzs_keeps_six_significant_digits(rates_app: Flask) -> None:
    response = rates_app.test_client().get("/rates.csv?pairs=UZS/USD&from=2025-05-01&to=2025-05-01")
    assert response.status_code == 200
    assert read_csv(response)[0]["rate"] == "0.00007729959"  # 1/12936.68 to 7 digits, as many as published
    response = rates_app.test_client().get("/rates.json?pairs=USD/UZS,TMT/USD&from=2025-05-01&to=2025-05-01")
    rates = response.get_json()["rates"]
    assert [r["rate"] for r in rates] == ["12936.68", "0.285714"]
    assert all("E" not in r["rate"] for r in rates)


def test_change_across_from_boundary(rates_app: Flask) -> None:
    body = rates_app.test_client().get("/rates.json?pairs=KZT/USD&from=2025-05-02&to=2025-05-05").get_json()
    assert [(r["date"], r["change_pct"]) for r in body["rates"]] == [
        ("2025-05-02", -0.49),  # 512.5/515 - 1, against 2025-05-01 which lies before from
        ("2025-05-05", -0.19),  # NBK first in priority: 515/516 - 1
    ]
    first = rates_app.test_client().get("/rates.csv?pairs=KZT/USD&from=2025-05-01&to=2025-05-01")
    assert read_csv(first)[0]["change_pct"] == ""


def test_cross_pair_kzt_kgs(rates_app: Flask) -> None:
    query = "?pairs=KZT/KGS,kgs/kzt&from=2025-05-01&to=2025-05-01"
    rows = read_csv(rates_app.test_client().get("/rates.csv" + query))
    assert [(r["pair"], r["rate"], r["source"]) for r in rows] == [
        ("KZT/KGS", "0.170686", "currency-api"),  # 87.4766 / 512.5
        ("KGS/KZT", "5.85871", "currency-api"),  # 512.5 / 87.4766
    ]


def test_priority_and_source_param(rates_app: Flask) -> None:
    client = rates_app.test_client()
    rows = read_csv(client.get("/rates.csv?pairs=USD/KZT,KGS/KZT&from=2025-05-05&to=2025-05-05"))
    assert [(r["rate"], r["source"]) for r in rows] == [("516.000", "nbk"), ("5.89872", "currency-api+nbk")]
    rows = read_csv(client.get("/rates.csv?pairs=USD/KZT&from=2025-05-05&to=2025-05-05&source=currency-api"))
    assert [(r["rate"], r["source"]) for r in rows] == [("517.07302837", "currency-api")]
    assert read_csv(client.get("/rates.csv?pairs=KGS/USD&source=nbk")) == []


def test_held_back_value_is_skipped(app: Flask) -> None:
    add_rates(app, [("nbk", "2025-05-05", "KZT", "600.00"), ("currency-api", "2025-05-05", "KZT", "517.0")],
              held=[("nbk", "2025-05-05", "KZT", "600.00")])
    client = app.test_client()
    rows = read_csv(client.get("/rates.csv?pairs=USD/KZT"))
    assert [(r["date"], r["rate"], r["source"]) for r in rows] == [("2025-05-05", "517.000", "currency-api")]
    assert read_csv(client.get("/rates.csv?pairs=USD/KZT&source=nbk")) == []


def test_wide_layout_and_headers(rates_app: Flask) -> None:
    response = rates_app.test_client().get(
        "/rates.csv?layout=wide&pairs=KGS/USD,KZT/USD&from=2025-05-01&to=2025-05-05")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="rates_2025-05-01_2025-05-05.csv"'
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "date,KGS/USD,KZT/USD"
    assert lines[1:] == ["2025-05-01,0.0114316,0.00195122", "2025-05-02,0.0114316,0.00194175",
                         "2025-05-05,0.0114316,0.00193798"]


def test_wide_layout_leaves_missing_cells_empty(app: Flask) -> None:
    add_rates(app, [("nbk", "2025-05-05", "KZT", "516.00"), ("nbkr", "2025-05-06", "KGS", "87.4500")])
    lines = app.test_client().get("/rates.csv?layout=wide&pairs=KZT/USD,KGS/USD").get_data(as_text=True)
    assert lines.splitlines()[1:] == ["2025-05-05,0.00193798,", "2025-05-06,,0.0114351"]


def test_default_range_and_pairs(rates_app: Flask) -> None:
    body = rates_app.test_client().get("/rates.json").get_json()
    assert (body["from"], body["to"]) == ("2025-04-06", "2025-05-05")  # 30 days up to the newest date
    assert body["pairs"] == ["KZT/USD", "KGS/USD", "TJS/USD", "TMT/USD", "UZS/USD"]
    assert len(body["rates"]) == 15


def test_default_range_follows_a_new_day_at_once(rates_app: Flask) -> None:
    client = rates_app.test_client()
    assert client.get("/rates.json?pairs=KZT/USD").get_json()["to"] == "2025-05-05"
    add_rates(rates_app, [("currency-api", "2025-05-06", "KZT", "518")])  # a write bumps the revision
    body = client.get("/rates.json?pairs=KZT/USD").get_json()
    assert (body["from"], body["to"], body["rates"][-1]["rate"]) == ("2025-04-07", "2025-05-06", "0.00193050")


@pytest.mark.parametrize("path", ["/rates.csv", "/rates.json"])
def test_body_is_streamed_and_an_abandoned_stream_frees_its_connection(rates_app: Flask, path: str) -> None:
    engine = rates_app.extensions["feedsvc.engine"]
    response = rates_app.test_client().get(path + "?from=2000-01-01&to=2025-12-31", buffered=False)
    assert response.is_streamed and not isinstance(response.response, list | tuple)
    first = next(iter(response.response))  # the server has sent the first chunk, the rest is to come
    assert first.startswith(b"date,pair" if path.endswith("csv") else b'{"from": "2000-01-01"')
    response.close()  # the client went away
    assert engine.pool.checkedout() == 0
    assert len(read_csv(rates_app.test_client().get("/rates.csv?from=2000-01-01&to=2025-12-31"))) == 15


def test_latest(rates_app: Flask) -> None:
    body = rates_app.test_client().get("/rates/latest.json?pairs=KZT/USD,KGS/USD,UZS/USD").get_json()
    old = {"prev_date": "2025-05-02", "stale": True}  # nothing newer than 2025-05-05 has come since
    assert body == {"rates": [
        {"pair": "KZT/USD", "date": "2025-05-05", "rate": "0.00193798", "change_pct": -0.19, **old,
         "source": "nbk"},
        {"pair": "KGS/USD", "date": "2025-05-05", "rate": "0.0114316", "change_pct": 0.0, **old,
         "source": "currency-api"},
        {"pair": "UZS/USD", "date": "2025-05-05", "rate": "0.0000771992", "change_pct": -0.03, **old,
         "source": "currency-api"},
    ], "sources": ["National Bank of Kazakhstan, nationalbank.kz",  # each source's attribution, once
                   "fawazahmed0/exchange-api (jsDelivr CDN, Cloudflare Pages fallback)"]}


def test_latest_is_rendered_once_per_revision(rates_app: Flask) -> None:
    client = rates_app.test_client()
    first = client.get("/rates/latest.json?pairs=KZT/USD")
    cache = rates_app.extensions["feedsvc.core.cache"]
    assert cache.get("rates:" + first.headers["ETag"].strip('"')) == first.get_data()
    assert client.get("/rates/latest.json?pairs=KZT/USD").get_data() == first.get_data()
    add_rates(rates_app, [("currency-api", "2025-05-06", "KZT", "518.0")])
    assert client.get("/rates/latest.json?pairs=KZT/USD").get_json()["rates"][0]["date"] == "2025-05-06"


@pytest.mark.parametrize("path", ["/rates.csv", "/rates.json", "/rates/latest.json"])
def test_conditional_get(rates_app: Flask, path: str) -> None:
    client = rates_app.test_client()
    first = client.get(path)
    first.close()  # a WSGI server always closes the body; an unread stream would otherwise linger
    assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
    assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.head(path).status_code == 200
    add_rates(rates_app, [("currency-api", "2025-05-06", "KZT", "518.0")])
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]


@pytest.mark.parametrize(("query", "field", "allowed"), [
    ("?colour=red", "_unknown", "allowed: from, to, pairs, source, group, provenance, layout"),
    ("?from=2025-02-30", "from", "YYYY-MM-DD"),
    ("?to=yesterday", "to", "YYYY-MM-DD"),
    ("?from=2025-05-05&to=2025-05-01", "from", "after"),
    ("?pairs=EUR/USD", "pairs", "allowed: KZT, KGS, TJS, TMT, UZS, USD"),
    ("?pairs=KZTUSD", "pairs", "BASE/QUOTE"),
    ("?pairs=KZT/KZT", "pairs", "itself"),
    ("?layout=tall", "layout", "allowed: long, wide"),
    ("?source=ecb", "source", "allowed: nbk, nbkr"),
    ("?from=1900-01-01&to=2025-01-01", "to", "30 years"),
    ("?pairs=KZT/USD&pairs=KGS/USD", "_repeated", "once"),
])
def test_bad_parameters(app: Flask, query: str, field: str, allowed: str) -> None:
    response = app.test_client().get("/rates.csv" + query)
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert allowed in error["message"] and allowed in " ".join(error["fields"][field])


def test_json_rejects_layout_and_latest_rejects_dates(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/rates.json?layout=wide").status_code == 400
    assert client.get("/rates/latest.json?from=2025-01-01").status_code == 400
    assert client.get("/rates/sources.json?verbose=1").status_code == 400


def test_sources(app: Flask) -> None:
    add_rates(app, [("nbk", "2025-05-05", "KZT", "516.00"), ("nbk", "2025-05-06", "KZT", "600.00")],
              held=[("nbk", "2025-05-06", "KZT", "600.00")])
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        session.add(RateRun(source="nbk", job="update", started_at=NOW, finished_at=NOW, rows_written=1))
        session.add(RateRun(source="nbk", job="update", started_at=NOW, finished_at=NOW, error="timeout"))
    response = app.test_client().get("/rates/sources.json")
    assert response.status_code == 200
    nbk = next(s for s in response.get_json()["sources"] if s["name"] == "nbk")
    assert nbk["currencies"] == ["KZT", "USD"] and "nationalbank.kz" in nbk["url"]
    assert nbk["enabled"] and nbk["priority"] == 1 and "National Bank of Kazakhstan" in nbk["attribution"]
    assert (nbk["first_date"], nbk["last_date"]) == ("2025-05-05", "2025-05-06")
    assert nbk["last_success"] == "2025-05-06T12:00:00Z"
    assert nbk["last_error"] == {"at": "2025-05-06T12:00:00Z", "message": "timeout"}
    assert nbk["held_back"] == [{"date": "2025-05-06", "currency": "USD", "quote": "KZT", "nominal": 1,
                                 "value": "600.00", "reference_source": "currency-api",
                                 "reference_value": "1"}]
