"""``feedsvc demo``'s rate history: the committed currency-api CSV through parse and ingest, once."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation
from feedsvc.rates.demo import BANK_FILES, CURRENCY_API_CSV

CURRENCIES = ("KGS", "KZT", "TJS", "TMT", "UZS")
SVG = {"s": "http://www.w3.org/2000/svg"}


def csv_rows() -> list[dict[str, str]]:
    """The committed CSV, as text."""
    with CURRENCY_API_CSV.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def demo_app(app: Flask) -> Flask:
    """The app after one ``feedsvc demo``."""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    app.config["demo_output"] = result.output
    return app


def stored(app: Flask, source: str) -> dict[tuple[str, str], str]:
    """``source``'s observations as {(date, currency): value text}."""
    with Session(app.extensions["feedsvc.engine"]) as session:
        rows = session.execute(select(RateObservation.date, RateObservation.quote, RateObservation.value)
                               .where(RateObservation.source == source, RateObservation.currency == "USD"))
        return {(day.isoformat(), currency): str(value) for day, currency, value in rows}


def test_the_csv_is_two_years_of_the_five_currencies() -> None:
    rows = csv_rows()
    assert list(rows[0]) == ["date", *CURRENCIES]
    days = [date.fromisoformat(row["date"]) for row in rows]
    assert days == sorted(set(days))
    assert days[-1] - days[0] >= timedelta(days=2 * 365)
    assert all(row[code] for row in rows for code in CURRENCIES)


def test_the_csv_matches_the_recorded_payloads_of_its_days() -> None:
    rows = {row["date"]: row for row in csv_rows()}
    compared = 0
    for path in sorted((Path(__file__).parents[1] / "fixtures/upstream/currency-api").glob("*.usd.json")):
        document = json.loads(path.read_bytes(), parse_float=str)  # the numbers' text as published
        if document["date"] in rows:
            compared += 1
            assert rows[document["date"]] == {"date": document["date"],
                                              **{code: document["usd"][code.lower()] for code in CURRENCIES}}
    assert compared


# Each test loads the demo (seconds on PostgreSQL), so related checks share one load.
def test_the_demo_loads_every_csv_value_once_exactly_as_written(demo_app: Flask) -> None:
    rows = csv_rows()
    expected = {(row["date"], code): row[code] for row in rows for code in CURRENCIES}
    assert stored(demo_app, "currency-api") == expected  # the decimal text itself, not only an equal number
    assert set(stored(demo_app, "peg")) == {(row["date"], "TMT") for row in rows}
    output = demo_app.config["demo_output"]
    # every CSV value, the TMT peg on the same days, and every line of one table per central bank
    tables = {"nbk": 39, "nbkr": 5, "nbkr-weekly": 40, "nbt": 36, "cbu": 75, "cbt": 48}
    assert set(tables) == set(BANK_FILES)
    assert f"{len(expected) + len(rows) + sum(tables.values())} new rate observations" in output
    assert f"currency-api {rows[0]['date']} to {rows[-1]['date']} ({len(rows)} days" in output
    assert "Fawaz Ahmed, CC0-1.0" in output
    with Session(demo_app.extensions["feedsvc.engine"]) as session:
        # the jump guard refused nothing, and currency-api was never held back
        assert session.scalars(select(RateAnomaly).where(RateAnomaly.reason == "jump")).all() == []
        assert session.scalars(select(RateAnomaly).where(RateAnomaly.source == "currency-api")).all() == []
        before = session.scalar(select(func.count()).select_from(RateObservation))
    assert "0 new rate observations" in demo_app.test_cli_runner().invoke(args=["demo"]).output
    with Session(demo_app.extensions["feedsvc.engine"]) as session:
        assert session.scalar(select(func.count()).select_from(RateObservation)) == before


def test_the_demo_draws_a_real_line_and_compares_the_latest_with_the_day_before(demo_app: Flask) -> None:
    rows = csv_rows()
    url = f"/rates?pair=KZT/USD&from={rows[0]['date']}&to={rows[-1]['date']}"
    html = demo_app.test_client().get(url).get_data(as_text=True)
    svg = etree.fromstring(html[html.index("<svg"): html.index("</svg>") + 6])
    points = [p for line in svg.iterfind(".//s:polyline", SVG) for p in line.get("points").split()]
    assert len(points) >= 100
    # the ticker's and latest.json's change: against the same series, at most 7 days before
    last, previous = (date.fromisoformat(row["date"]) for row in (rows[-1], rows[-2]))
    assert last - previous <= timedelta(days=7)
    latest = json.loads(demo_app.test_client().get("/rates/latest.json").data)["rates"]
    assert {(r["pair"], r["date"], r["source"]) for r in latest} == {
        (f"{code}/USD", last.isoformat(), "peg" if code == "TMT" else "currency-api") for code in CURRENCIES
    }
    assert all(r["change_pct"] is not None for r in latest)
    answer = demo_app.test_client().get(f"/rates.json?from={previous}&to={last}").data
    assert {(r["date"], r["source"]) for r in json.loads(answer)["rates"]} == {
        (day.isoformat(), source) for day in (previous, last) for source in ("currency-api", "peg")
    }
