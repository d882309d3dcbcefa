"""Official sources end to end against a local replay of the banks: priority, source=, the cross-check.

The mirror answers at each source's real URL layout with the recorded payloads, moved to one day ``DAY``
(only the date inside each file changes, never a value), so every currency has its bank's value that day.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.changes import read_marker
from feedsvc.core.models import RateAnomaly, RateObservation
from feedsvc.rates.demo import read_demo_payloads
from feedsvc.rates.ingest.store import Limits, store_observations
from feedsvc.rates.sources.base import Observation

ORDER = ("nbk", "nbkr", "nbt", "cbu", "cbt", "peg", "currency-api")
DAY = date(2026, 5, 20)  # a Wednesday: every bank publishes
SUNDAY = date(2026, 5, 24)
DAY_NOON = datetime(2026, 5, 20, 12, tzinfo=UTC)
# The bank's value on DAY, exactly as published (per 1 USD).
BANK_VALUES = {"KZT": ("nbk", "478.77"), "KGS": ("nbkr", "87.4500"), "TJS": ("nbt", "9.3450"),
               "UZS": ("cbu", "12194.21"), "TMT": ("cbt", "3.5")}
# currency-api's numbers near the banks' (within 1 %), so the served value tells which source won.
MARKET = {"kzt": "480.1", "kgs": "87.51", "tjs": "9.36", "uzs": "12210.5", "tmt": "3.4965"}


def bank_payloads(upstream_bytes: Callable[[str], bytes]) -> dict[str, bytes]:
    """Each bank's recorded answer, re-dated to DAY."""
    return {
        "nbk": upstream_bytes("nbk/get_rates_fdate_01.04.2026.xml").replace(b"01.04.2026", b"20.05.2026"),
        "nbkr": upstream_bytes("nbkr/daily.xml").replace(b'Date="24.05.2026"', b'Date="20.05.2026"'),
        "nbt": upstream_bytes("nbt/export_xml_2026-05-18.xml").replace(b'Date="2026-05-18"',
                                                                       b'Date="2026-05-20"'),
        "cbu": upstream_bytes("cbu/json_all_2026-04-01.json").replace(b"01.04.2026", b"20.05.2026"),
        "cbt": upstream_bytes("cbt/kurs_2026_20052026.xml"),
    }


def market_payload(day: date, **values: str) -> bytes:
    """A currency-api usd.json for ``day`` (numbers written as given)."""
    rates = ", ".join(f'"{code}": {value}' for code, value in {**MARKET, **values}.items())
    return f'{{"date": "{day}", "usd": {{"eur": 0.92, {rates}}}}}'.encode()


def serve(mirror, name: str, day: date, body: bytes, oneshot: bool = False) -> None:
    """Answer source ``name``'s URL for ``day`` (path and query string) with ``body``."""
    url = urlsplit(mirror.template(name).format(date=day))
    expect = mirror.server.expect_oneshot_request if oneshot else mirror.server.expect_request
    expect(url.path, query_string=url.query or None).respond_with_data(body)


@pytest.fixture
def official_app(app_factory, mirror, fast_http) -> Callable[..., Flask]:
    """An app with every source pointed at the mirror, in the default order (peg before currency-api)."""

    def build(**overrides: object) -> Flask:
        settings = {"SOURCE_URLS": mirror.urls(), "RATES_SOURCES": ORDER, "RATES_GAP_DAYS": 2, **fast_http}
        return app_factory(**{**settings, **overrides})

    return build


def cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.output


def update(app: Flask, day: date, *names: str) -> str:
    """``feedsvc rates update --date day [--source name ...]``."""
    return cli(app, "rates", "update", "--date", f"{day}", *(arg for n in names for arg in ("--source", n)))


def served(app: Flask, query: str) -> dict[tuple[str, str], tuple[str, str]]:
    """``/rates.csv`` (long) as {(date, pair): (rate, source)}."""
    response = app.test_client().get(f"/rates.csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return {(row["date"], row["pair"]): (row["rate"], row["source"]) for row in rows}


USD_PAIRS = "pairs=USD/KZT,USD/KGS,USD/TJS,USD/UZS,USD/TMT"


def test_each_currency_is_served_from_its_own_bank(official_app, mirror, upstream_bytes) -> None:
    app = official_app()
    for name, body in bank_payloads(upstream_bytes).items():
        serve(mirror, name, DAY, body)
    serve(mirror, "currency-api", DAY, market_payload(DAY))
    serve(mirror, "cbt", SUNDAY, b"Not Found")  # 404 below: Sundays have no CBT file
    serve(mirror, "currency-api", SUNDAY, market_payload(SUNDAY))
    mirror.answer_404_elsewhere()
    update(app, DAY)
    update(app, SUNDAY, "cbt", "peg", "currency-api")
    rows = served(app, f"from={DAY}&to={SUNDAY}&{USD_PAIRS}")
    for currency, (bank, value) in BANK_VALUES.items():
        rate, source = rows[(f"{DAY}", f"USD/{currency}")]
        assert (Decimal(rate), source) == (Decimal(value), bank)
    # Sunday: CBT has nothing, so TMT comes from the official peg, not currency-api's market estimate.
    assert rows[(f"{SUNDAY}", "USD/TMT")] == ("3.50000", "peg")
    assert rows[(f"{SUNDAY}", "USD/KZT")] == ("480.100", "currency-api")
    assert all(source for _rate, source in rows.values())  # every row names its source


def test_unreachable_cbt_leaves_tmt_to_the_peg(official_app, mirror, closed_port_url) -> None:
    app = official_app(SOURCE_URLS={**mirror.urls(), "cbt": closed_port_url})
    serve(mirror, "currency-api", DAY, market_payload(DAY))
    mirror.answer_404_elsewhere()
    assert "cbt: failed" in update(app, DAY, "cbt", "peg", "currency-api")
    assert served(app, f"from={DAY}&to={DAY}&pairs=USD/TMT") == {(f"{DAY}", "USD/TMT"): ("3.50000", "peg")}
    cbt = sources_json(app)["cbt"]
    assert cbt["last_error"] is not None and cbt["last_date"] is None


def test_source_param_gives_one_sources_own_series(official_app, mirror, upstream_bytes) -> None:
    app = official_app()
    serve(mirror, "nbk", DAY, bank_payloads(upstream_bytes)["nbk"])
    serve(mirror, "currency-api", DAY, market_payload(DAY))
    mirror.answer_404_elsewhere()
    update(app, DAY, "nbk", "currency-api")
    assert served(app, f"from={DAY}&to={DAY}&pairs=USD/KZT")[(f"{DAY}", "USD/KZT")][1] == "nbk"
    own = served(app, f"from={DAY}&to={DAY}&pairs=USD/KZT&source=currency-api")
    assert own == {(f"{DAY}", "USD/KZT"): ("480.100", "currency-api")}
    assert set(served(app, f"from={DAY}&to={DAY}&source=nbk")) == {(f"{DAY}", "KZT/USD")}  # KZT only


def sources_json(app: Flask) -> dict[str, dict]:
    return {s["name"]: s for s in app.test_client().get("/rates/sources.json").get_json()["sources"]}


@pytest.mark.parametrize("second", ["currency-api", "nbk"])
def test_a_value_16_percent_off_is_held_back_and_the_next_source_served(official_app, mirror, upstream_bytes,
                                                                        second) -> None:
    app = official_app()
    off = "412.73"  # NBK's 478.77 is 16 % above it
    serve(mirror, "nbk", DAY, bank_payloads(upstream_bytes)["nbk"])
    serve(mirror, "currency-api", DAY, market_payload(DAY, kzt=off), oneshot=True)
    serve(mirror, "currency-api", DAY, market_payload(DAY, kzt="480.1"))  # its later correction
    mirror.answer_404_elsewhere()
    first = "nbk" if second == "currency-api" else "currency-api"
    update(app, DAY, first)
    etag = app.test_client().get(f"/rates.csv?from={DAY}&to={DAY}").headers["ETag"]
    update(app, DAY, second)  # whichever arrives second triggers the check
    assert app.test_client().get(f"/rates.csv?from={DAY}&to={DAY}").headers["ETag"] != etag
    query = f"from={DAY}&to={DAY}&pairs=USD/KZT"
    assert served(app, query) == {(f"{DAY}", "USD/KZT"): ("412.730", "currency-api")}
    assert served(app, f"{query}&source=nbk") == {}  # held back even when asked for by name
    assert sources_json(app)["nbk"]["held_back"] == [
        {"date": f"{DAY}", "currency": "KZT", "value": "478.77",
         "reference_source": "currency-api", "reference_value": "412.73"}]
    update(app, DAY, "currency-api")  # the correction agrees with NBK again: released
    assert served(app, query) == {(f"{DAY}", "USD/KZT"): ("478.770", "nbk")}
    assert sources_json(app)["nbk"]["held_back"] == []


def test_nbt_attribution_and_every_field_of_sources_json(app: Flask) -> None:
    sources = sources_json(app)
    assert set(sources) >= set(ORDER)
    assert "www.nbt.tj" in sources["nbt"]["attribution"]
    for name, entry in sources.items():
        missing = {"name", "url", "currencies", "attribution", "terms", "first_date", "last_date",
                   "last_success", "last_error", "held_back"} - set(entry)
        assert not missing, (name, missing)
        assert entry["attribution"] and entry["terms"], name


def store(session: Session, source: str, value: str, limits: Limits | None = None) -> int:
    written = store_observations(session, source, DAY, [Observation(DAY, "KZT", Decimal(value))],
                                 DAY_NOON, limits).written
    session.commit()
    return written


def held(session: Session) -> list[tuple[str, str, Decimal, str | None, Decimal | None]]:
    rows = session.scalars(select(RateAnomaly).where(RateAnomaly.status == "held"))
    return [(a.source, a.currency, a.value, a.reference_source, a.reference_value) for a in rows]


def test_held_back_state_changes_bump_the_rates_marker(app: Flask) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        store(session, "currency-api", "412.73")
        store(session, "nbk", "478.77")
        assert held(session) == [("nbk", "KZT", Decimal("478.77"), "currency-api", Decimal("412.73"))]
        revision = read_marker("rates", session).revision
        assert store(session, "nbk", "478.77") == 0  # a rerun changes nothing
        assert read_marker("rates", session).revision == revision
        # Nothing written, but a wider tolerance releases the value: served data changes, so does the marker.
        assert store(session, "nbk", "478.77", Limits(crosscheck_pct=20.0)) == 0
        assert held(session) == []
        assert read_marker("rates", session).revision == revision + 1
        store(session, "nbk", "478.00")  # corrected, still 15.8 % off: held back again, with the new value
        assert held(session) == [("nbk", "KZT", Decimal("478.00"), "currency-api", Decimal("412.73"))]
        assert session.scalars(select(RateObservation).where(RateObservation.source == "nbk")).one()


def test_a_day_on_day_jump_over_half_is_still_refused(app: Flask) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        before = DAY - timedelta(days=1)
        store_observations(session, "nbk", before, [Observation(before, "KZT", Decimal("478.77"))], DAY_NOON)
        assert store(session, "nbk", "800.00") == 0
        reasons = session.scalars(select(RateAnomaly.reason)).all()
    assert reasons == ["jump"]


def test_the_demo_serves_every_currency_from_its_bank_offline(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"]).output
    assert "0 new rate observations" in runner.invoke(args=["demo"]).output, first
    expected = {"nbk": "2026-04-01", "nbkr": "2026-05-24", "nbt": "2026-05-18", "cbu": "2026-04-01",
                "cbt": "2026-05-20"}
    sources = {s["name"]: s["last_date"] for s in sources_json(app).values() if s["name"] in expected}
    assert sources == expected
    rows = served(app, f"from=2026-04-01&to=2026-05-24&{USD_PAIRS}")
    # each bank's day is served from the bank (not held back), between currency-api's and the peg's days
    currencies = {"nbk": "KZT", "nbkr": "KGS", "nbt": "TJS", "cbu": "UZS", "cbt": "TMT"}
    assert {bank: rows[(day, f"USD/{currencies[bank]}")][1] for bank, day in expected.items()} == {
        bank: bank for bank in expected
    }
    assert json.loads(app.test_client().get("/rates/latest.json").data)["rates"]


def test_the_rates_page_and_ticker_name_each_values_source_on_hover(app: Flask) -> None:
    app.test_cli_runner().invoke(args=["demo"])
    page = app.test_client().get("/rates?pair=USD/KZT&from=2026-03-01&to=2026-04-30").get_data(as_text=True)
    assert 'title="USD/KZT on 2026-04-01 · source: nbk"><data value="478.770">' in page
    home = app.test_client().get("/rates?pair=KGS/USD").get_data(as_text=True)
    last = read_demo_payloads()[-1][0]  # the demo's newest day is currency-api's
    assert f'title="KGS/USD on {last} · source: currency-api"' in home  # the ticker
