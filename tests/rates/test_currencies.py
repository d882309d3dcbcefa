"""/rates/currencies.json and each source's currencies in /rates/sources.json, from what is stored: the
bank tables of the recorded payloads, stored through ingest as the jobs store them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from feedsvc.rates.ingest.store import store_observations
from feedsvc.rates.sources import all_source_classes
from feedsvc.rates.sources.base import Observation

UPSTREAM = Path(__file__).parents[1] / "fixtures" / "upstream"
NOW = datetime(2026, 5, 26, 6, tzinfo=UTC)
NBK_DAY = date(2026, 4, 1)


def store(app: Flask, name: str, path: str, day: date) -> int:
    """Parse a recorded payload of source ``name`` and store it as the update job does; lines written."""
    table = all_source_classes()[name]("").parse((UPSTREAM / path).read_bytes(), day)
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        return store_observations(session, name, day, table, NOW).written


def by_code(app: Flask, **headers: str) -> dict[str, dict]:
    response = app.test_client().get("/rates/currencies.json", headers=headers)
    assert response.status_code == 200 and response.mimetype == "application/json"
    return {item["code"]: item for item in response.get_json()["currencies"]}


@pytest.fixture
def tables(app: Flask) -> Flask:
    """NBK's table of 1 April 2026 and NBKR's daily table, as the banks published them."""
    assert store(app, "nbk", "nbk/get_rates_fdate_01.04.2026.xml", NBK_DAY) == 39
    assert store(app, "nbkr", "nbkr/daily.xml", date(2026, 5, 24)) == 5
    return app


def test_each_code_names_its_sources_dates_and_nominal(tables: Flask) -> None:
    codes = by_code(tables)
    rub = codes["RUB"]
    assert rub["name"] == "Russian Ruble"
    assert rub["sources"] == ["nbk", "nbkr"]  # in priority order
    assert [(line["source"], line["quote"]) for line in rub["listed_by"]] == [("nbk", "KZT"), ("nbkr", "KGS")]
    assert rub["listed_by"][0] == {"source": "nbk", "quote": "KZT", "nominal": 1, "first_date": "2026-04-01",
                                   "last_date": "2026-04-01", "days": 1}
    assert rub["quoted_by"] == []
    # The bank's own nominal, as published: 100 sum in tenge.
    assert codes["UZS"]["listed_by"] == [{"source": "nbk", "quote": "KZT", "nominal": 100,
                                          "first_date": "2026-04-01", "last_date": "2026-04-01", "days": 1}]
    # Tenge: NBK quotes its 39 currencies in it, and NBKR lists it in som.
    kzt = codes["KZT"]
    assert kzt["name"] == "Tenge" and kzt["sources"] == ["nbk", "nbkr"]
    assert kzt["quoted_by"] == [{"source": "nbk", "currencies": 39, "first_date": "2026-04-01",
                                 "last_date": "2026-04-01"}]
    assert [line["source"] for line in kzt["listed_by"]] == ["nbkr"]
    assert list(codes) == sorted(codes) and "EUR" in codes and "CNY" in codes


def test_a_changed_nominal_is_listed_with_the_dates_of_each(tables: Flask) -> None:
    later = NBK_DAY + timedelta(days=1)
    with Session(tables.extensions["feedsvc.engine"]) as session, session.begin():
        # The bank now quotes UZS per 1000: the same rate per sum, another nominal.
        line = Observation(later, "UZS", "KZT", Decimal("39.4"), 1000)
        store_observations(session, "nbk", later, [line], NOW)
    listed = by_code(tables)["UZS"]["listed_by"]
    assert [(line["nominal"], line["first_date"], line["last_date"]) for line in listed] == [
        (100, "2026-04-01", "2026-04-01"), (1000, "2026-04-02", "2026-04-02")]


def test_currencies_are_cached_per_rates_revision_and_change_with_a_new_table(tables: Flask) -> None:
    client = tables.test_client()
    first = client.get("/rates/currencies.json")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"].startswith("public, max-age=300")
    assert client.get("/rates/currencies.json", headers={"If-None-Match": etag}).status_code == 304
    # NBKR's weekly table has no USD line: storing it still makes a new revision and a new answer.
    assert store(tables, "nbkr-weekly", "nbkr/weekly.xml", date(2026, 5, 25)) == 40
    second = client.get("/rates/currencies.json", headers={"If-None-Match": etag})
    assert second.status_code == 200 and second.headers["ETag"] != etag
    weekly = {item["code"]: item for item in second.get_json()["currencies"]}
    assert "nbkr-weekly" in weekly["KGS"]["sources"]
    assert weekly["KGS"]["quoted_by"][-1] == {"source": "nbkr-weekly", "currencies": 40,
                                               "first_date": "2026-05-23", "last_date": "2026-05-23"}


def test_an_empty_store_lists_no_currency_and_parameters_are_refused(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/rates/currencies.json").get_json() == {"currencies": []}
    response = client.get("/rates/currencies.json?code=RUB")
    assert response.status_code == 400
    assert "unknown parameter(s) code" in response.get_json()["error"]["message"]


def test_sources_list_the_currencies_they_stored(tables: Flask) -> None:
    sources = {item["name"]: item for item in tables.test_client().get("/rates/sources.json")
               .get_json()["sources"]}
    assert sources["nbkr"]["currencies"] == ["CNY", "EUR", "KGS", "KZT", "RUB", "USD"]
    assert len(sources["nbk"]["currencies"]) == 40 and "KZT" in sources["nbk"]["currencies"]
    assert sources["cbu"]["currencies"] == []  # nothing stored yet
    codes = by_code(tables)
    # The two answers agree: a code lists a source exactly when the source lists the code.
    for name, source in sources.items():
        assert source["currencies"] == sorted(code for code, item in codes.items() if name in item["sources"])
