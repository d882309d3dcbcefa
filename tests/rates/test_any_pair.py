"""Any pair, from the best path, naming it: every value of every recorded bank table served exactly as
published for its pair and its inverse; crosses; date= (the rate in force on a day); fill=previous; the
weekend repeat rule; bad input.

The banks' recorded payloads are replayed by a local server at each source's real URL layout; only the
date inside a file is moved where a test needs another day, never a value.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from feedsvc.core.errors import BadRequestParams
from feedsvc.rates import Pair, check_pairs
from feedsvc.rates.exact import EXACT, format_rate, per_unit, quotient, shown_digits
from feedsvc.rates.ingest.store import store_observations
from feedsvc.rates.sources import all_source_classes
from feedsvc.rates.sources.base import Observation

# Each bank's recorded table: the payload, the day it is dated, how many lines it publishes.
BANKS = {
    "nbk": ("nbk/get_rates_fdate_01.04.2026.xml", date(2026, 4, 1), 39),
    "nbkr": ("nbkr/daily.xml", date(2026, 5, 24), 5),
    "nbkr-weekly": ("nbkr/weekly.xml", date(2026, 5, 23), 40),
    "nbt": ("nbt/export_xml_2026-05-18.xml", date(2026, 5, 18), 36),
    "cbu": ("cbu/json_all_2026-04-01.json", date(2026, 4, 1), 75),
    "cbt": ("cbt/kurs_2026_20052026.xml", date(2026, 5, 20), 48),
}
OFFICIAL = ("nbk", "nbkr", "nbkr-weekly", "nbt", "cbu", "cbt", "peg")
DAY = date(2026, 5, 20)  # a Wednesday: every table is re-dated to it
FRIDAY, SUNDAY = date(2026, 5, 22), date(2026, 5, 24)
FAST = {"HTTP_BACKOFF": 0, "HTTP_RETRIES": 0, "RATES_GAP_DAYS": 1}


def table_of(name: str, payload: bytes, day: date) -> list[Observation]:
    """The lines of a payload as the source's own parser reads them."""
    return all_source_classes()[name]("").parse(payload, day).observations


def redated(name: str, payload: bytes, day: date) -> bytes:
    """The payload with its own date written as ``day`` (every value untouched)."""
    old = BANKS[name][1]
    for text in (f"{old:%d.%m.%Y}", f"{old:%Y-%m-%d}"):
        new = f"{day:%d.%m.%Y}" if "." in text else f"{day}"
        payload = payload.replace(text.encode(), new.encode())
    return payload


def serve_and_update(app: Flask, mirror, bodies: dict[str, dict[date, bytes]]) -> None:
    """Replay ``bodies`` (source -> day -> payload), 404 elsewhere, and run each source's update per day."""
    for name, days in bodies.items():
        for day, body in days.items():  # by path and query string: NBK's day is in its query
            url = urlsplit(mirror.template(name).format(date=day))
            mirror.server.expect_request(url.path, query_string=url.query or None).respond_with_data(body)
    mirror.answer_404_elsewhere()
    for name, days in bodies.items():
        for day in days:
            command = ["rates", "update", "--date", f"{day}", "--source", name]
            result = app.test_cli_runner().invoke(args=command)
            assert result.exit_code == 0, result.output


def csv_rows(app: Flask, query: str) -> dict[tuple[str, str], dict[str, str]]:
    response = app.test_client().get(f"/rates.csv?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
    return {(row["date"], row["pair"]): row for row in rows}


@pytest.mark.parametrize("name", list(BANKS))
def test_every_recorded_value_is_served_as_published_and_inverted(name: str, app_factory, mirror,
                                                                   upstream_bytes) -> None:
    path, day, count = BANKS[name]
    payload = upstream_bytes(path)
    lines = table_of(name, payload, day)
    assert len(lines) == count
    text = payload.decode("cp1251" if name.startswith("nbkr") else "utf-8")
    app = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=(name,), **FAST)
    serve_and_update(app, mirror, {name: {day: payload}})
    pairs = [f"{line.currency}/{line.quote},{line.quote}/{line.currency}" for line in lines]
    rows = csv_rows(app, f"pairs={','.join(pairs)}&from={day}&to={day}")
    assert len(rows) == 2 * count
    for line in lines:
        shown = format(line.value, "f")
        assert shown in text or shown.replace(".", ",") in text  # the parser kept every digit as written
        direct = rows[(f"{day}", f"{line.currency}/{line.quote}")]
        assert Decimal(direct["rate"]) == line.value / line.nominal == per_unit(line.value, line.nominal)
        inverse = rows[(f"{day}", f"{line.quote}/{line.currency}")]
        digits = shown_digits(line.value)
        assert inverse["rate"] == format_rate(quotient(Decimal(line.nominal), line.value), digits)
        assert direct["source"] == inverse["source"] == name


@pytest.fixture
def official(app_factory, mirror, upstream_bytes) -> Callable[..., Flask]:
    """An app with the official sources only (no currency-api), every bank's table re-dated to DAY and
    NBK's to FRIDAY too."""

    def build(order: tuple[str, ...] = OFFICIAL) -> Flask:
        app = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=order, **FAST)
        bodies = {name: {DAY: redated(name, upstream_bytes(path), DAY)}
                  for name, (path, _day, _count) in BANKS.items() if name in order}
        bodies["nbk"][FRIDAY] = redated("nbk", upstream_bytes(BANKS["nbk"][0]), FRIDAY)
        serve_and_update(app, mirror, bodies)
        return app

    return build


def published(upstream_bytes, name: str, currency: str) -> Observation:
    path, day, _count = BANKS[name]
    return next(line for line in table_of(name, upstream_bytes(path), day) if line.currency == currency)


def test_each_bank_serves_its_own_pairs_and_the_first_in_priority_wins(official, upstream_bytes) -> None:
    app = official()
    pairs = {"RUB/KGS": "nbkr", "EUR/KZT": "nbk", "CNY/UZS": "cbu", "RUB/TJS": "nbt", "RUB/TMT": "cbt"}
    rows = csv_rows(app, f"pairs={','.join(pairs)}&from={DAY}&to={DAY}")
    for pair, bank in pairs.items():
        line = published(upstream_bytes, bank, pair.split("/")[0])
        row = rows[(f"{DAY}", pair)]
        assert (Decimal(row["rate"]), row["source"]) == (per_unit(line.value, line.nominal), bank)
    # Both NBK (KGS in KZT) and NBKR (KZT in KGS) publish the pair: the first in priority serves it.
    kgs = published(upstream_bytes, "nbk", "KGS")
    row = csv_rows(app, f"pairs=KZT/KGS&from={DAY}&to={DAY}")[(f"{DAY}", "KZT/KGS")]
    assert (row["rate"], row["source"]) == (format_rate(quotient(Decimal(kgs.nominal), kgs.value), 6), "nbk")
    mnt = published(upstream_bytes, "nbkr-weekly", "MNT")
    # MNT is in NBKR's weekly table alone: a cross through KGS with NBK's KGS line, both sources named.
    row = csv_rows(app, f"pairs=MNT/KZT&from={DAY}&to={DAY}")[(f"{DAY}", "MNT/KZT")]
    expected = quotient(EXACT.multiply(mnt.value, kgs.value), Decimal(mnt.nominal * kgs.nominal))
    assert (row["rate"], row["source"]) == (format_rate(expected, shown_digits(mnt.value, kgs.value)),
                                            "nbkr-weekly+nbk")
    assert csv_rows(app, f"pairs=EUR/RUB&from={DAY}&to={DAY}")[(f"{DAY}", "EUR/RUB")]["source"] == "nbk"
    # Each row names the payload its value came from; a cross names both.
    rows = csv_rows(app, f"pairs=RUB/KGS,MNT/KZT&from={DAY}&to={DAY}&provenance=1")
    nbkr = hashlib.sha256(redated("nbkr", upstream_bytes(BANKS["nbkr"][0]), DAY)).hexdigest()
    assert rows[(f"{DAY}", "RUB/KGS")]["digest"] == nbkr
    assert len(rows[(f"{DAY}", "MNT/KZT")]["digest"].split("+")) == 2


def test_priority_order_decides_a_pair_two_banks_publish(official) -> None:
    app = official(("nbkr", "nbk", "nbt", "cbu", "cbt"))
    row = csv_rows(app, f"pairs=KZT/KGS&from={DAY}&to={DAY}")[(f"{DAY}", "KZT/KGS")]
    assert (row["rate"], row["source"]) == ("0.185900", "nbkr")  # NBKR's line, 0,1859, as published
    own = csv_rows(app, f"pairs=KZT/KGS&from={DAY}&to={DAY}&source=nbk")[(f"{DAY}", "KZT/KGS")]
    assert own["source"] == "nbk"


def test_date_gives_the_rate_in_force_and_fill_carries_it(official, upstream_bytes) -> None:
    app = official()
    client = app.test_client()
    eur = published(upstream_bytes, "nbk", "EUR")
    body = client.get(f"/rates.json?pairs=EUR/KZT,MNT/USD&date={SUNDAY}").get_json()
    assert body["date"] == f"{SUNDAY}"
    friday, mnt = body["rates"]
    assert (friday["date"], Decimal(friday["rate"]), friday["source"]) == (f"{FRIDAY}", eur.value, "nbk")
    assert (mnt["date"], mnt["source"]) == (f"{DAY}", "nbkr-weekly+nbkr")  # NBKR published on Wednesday only
    latest = client.get(f"/rates/latest.json?pairs=EUR/KZT&date={SUNDAY}").get_json()["rates"]
    assert [(r["date"], r["source"]) for r in latest] == [(f"{FRIDAY}", "nbk")]
    newest = client.get("/rates/latest.json?pairs=EUR/KZT,RUB/KGS").get_json()["rates"]
    # Friday: NBKR silent, so RUB/KGS is a cross within NBK's table of that day (RUB and KGS in KZT).
    assert [(r["pair"], r["date"], r["source"]) for r in newest] == [
        ("EUR/KZT", f"{FRIDAY}", "nbk"), ("RUB/KGS", f"{FRIDAY}", "nbk")]
    wide = client.get(f"/rates.csv?pairs=EUR/KZT,RUB/KGS&from={DAY}&to={FRIDAY}&layout=wide").get_data(True)
    assert [line.split(",")[0] for line in wide.splitlines()] == ["date", f"{DAY}", f"{FRIDAY}"]
    far = client.get("/rates.json?pairs=EUR/KZT&date=2026-06-20").get_json()["rates"]
    assert far == [{"pair": "EUR/KZT", "date": None, "rate": None, "change_pct": None, "prev_date": None,
                    "source": None}]  # the newest observation is more than 14 days older
    rows = csv_rows(app, f"pairs=EUR/KZT&from={FRIDAY}&to={SUNDAY}&fill=previous")
    assert [(d, r["carried"], r["change_pct"]) for (d, _p), r in rows.items()] == [
        (f"{FRIDAY}", "false", "0.00"), ("2026-05-23", "true", ""), (f"{SUNDAY}", "true", "")]
    ndjson = client.get(f"/rates.ndjson?pairs=EUR/KZT&from={SUNDAY}&to={SUNDAY}&fill=previous").get_data(True)
    assert '"carried": true' in ndjson and f'"date": "{SUNDAY}"' in ndjson
    served = csv_rows(app, f"pairs=USD/KZT&from={FRIDAY}&to={SUNDAY}&fill=previous")  # the X/USD path
    assert [(d, r["rate"], r["source"], r["carried"]) for (d, _p), r in served.items()] == [
        (f"{FRIDAY}", "478.770", "nbk", "false"), ("2026-05-23", "478.770", "nbk", "true"),
        (f"{SUNDAY}", "478.770", "nbk", "true")]


def test_check_pairs_is_the_400_of_an_unservable_pair(app: Flask) -> None:
    with app.test_request_context():
        assert check_pairs("kzt/usd,USD/KGS") == (Pair("KZT", "USD"), Pair("USD", "KGS"))
        with pytest.raises(BadRequestParams) as raised:
            check_pairs("RUB/KGS")  # nothing stored names RUB here
    assert raised.value.fields == {"pairs": ["unknown currency RUB; allowed: KZT, KGS, TJS, TMT, UZS, USD"]}


NOW = datetime(2026, 5, 26, tzinfo=UTC)


def test_a_weekend_repeat_of_fridays_table_is_no_new_observation(app: Flask) -> None:
    # NBT-like: Friday's value repeated on Saturday and Sunday, a new one on Monday.
    values = {21: "0.1150", 22: "0.1200", 23: "0.1200", 24: "0.1200", 25: "0.1230"}
    with Session(app.extensions["feedsvc.engine"]) as session:
        for day, value in values.items():
            when = date(2026, 5, day)
            store_observations(session, "nbt", when, [Observation(when, "RUB", "TJS", Decimal(value))], NOW,
                               priority=tuple(app.config["RATES_SOURCES"]))
            session.commit()
    client = app.test_client()
    query = "pairs=RUB/TJS&from=2026-05-22&to=2026-05-25&source=nbt"
    rows = client.get(f"/rates.json?{query}").get_json()["rates"]
    assert [(r["date"], r["change_pct"], r["prev_date"]) for r in rows] == [
        ("2026-05-22", 4.35, "2026-05-21"),  # Friday's change, kept by its repeats
        ("2026-05-23", 4.35, "2026-05-21"), ("2026-05-24", 4.35, "2026-05-21"),
        ("2026-05-25", 2.5, "2026-05-22"),  # Monday against Friday, the last new observation
    ]
    week = client.get("/rates.json?pairs=RUB/TJS&from=2026-05-18&to=2026-05-24&source=nbt&group=week")
    assert [(r["count"], r["rate"]) for r in week.get_json()["rates"]] == [(2, "0.117500")]


def test_the_served_usd_lines_keep_the_weekend_repeat_rule_too(app: Flask) -> None:
    # NBT-like USD/TJS: Friday's value repeated on Saturday and Sunday; Monday stored first (a backfill).
    values = {25: "10.00", 21: "10.00", 22: "10.50", 23: "10.50", 24: "10.50"}
    priority = tuple(app.config["RATES_SOURCES"])
    with Session(app.extensions["feedsvc.engine"]) as session:
        for day, value in values.items():
            when = date(2026, 5, day)
            store_observations(session, "nbt", when, [Observation(when, "USD", "TJS", Decimal(value))], NOW,
                               priority=priority)
            session.commit()
    client = app.test_client()
    week = "from=2026-05-21&to=2026-05-25"
    stored = list(csv.reader(io.StringIO(client.get(f"/rates.csv?pairs=TJS/USD&{week}").text)))[1:]
    # Friday: 10/10.5 − 1 = −4.76 %; its repeats keep it; Monday against Friday: 10.5/10 − 1 = +5.00 %.
    assert [(row[0], row[3]) for row in stored] == [
        ("2026-05-21", ""), ("2026-05-22", "-4.76"), ("2026-05-23", "-4.76"), ("2026-05-24", "-4.76"),
        ("2026-05-25", "5.00")]
    rows = client.get(f"/rates.json?pairs=USD/TJS&{week}").get_json()["rates"]
    assert [(r["date"], r["change_pct"], r["prev_date"]) for r in rows] == [
        ("2026-05-21", None, None), ("2026-05-22", 5.0, "2026-05-21"), ("2026-05-23", 5.0, "2026-05-21"),
        ("2026-05-24", 5.0, "2026-05-21"), ("2026-05-25", -4.76, "2026-05-22")]
    # Means count Thursday, Friday and Monday: whole months from the stored sums, a partial one summed.
    for span in ("from=2026-05-01&to=2026-05-31", "from=2026-05-02&to=2026-05-30"):
        month = client.get(f"/rates.json?pairs=TJS/USD&{span}&group=month").get_json()["rates"]
        assert [(r["count"], r["rate"]) for r in month] == [(3, "0.0984127")]  # (0.1 + 1/10.5 + 0.1) / 3
    week_rows = client.get("/rates.json?pairs=TJS/USD&from=2026-05-18&to=2026-05-24&group=week").get_json()
    assert [r["count"] for r in week_rows["rates"]] == [2]


def test_the_default_range_of_a_pair_ends_at_its_own_newest_day(app: Flask) -> None:
    # NBKR's RUB line in May; currency-api's KGS (no RUB) goes on into July: RUB/KGS ends in May.
    priority = tuple(app.config["RATES_SOURCES"])
    with Session(app.extensions["feedsvc.engine"]) as session:
        store_observations(session, "nbkr", DAY, [Observation(DAY, "RUB", "KGS", Decimal("1.2263"))], NOW,
                           priority=priority)
        later = date(2026, 7, 30)
        usd = Observation(later, "USD", "KGS", Decimal("87.4"))
        store_observations(session, "currency-api", later, [usd], NOW, priority=priority)
        session.commit()
    client = app.test_client()
    rows = list(csv.reader(io.StringIO(client.get("/rates.csv?pairs=RUB/KGS").text)))[1:]
    assert rows == [[DAY.isoformat(), "RUB/KGS", "1.22630", "", "nbkr"]]
    both = client.get("/rates.json?pairs=RUB/KGS,KGS/USD").get_json()
    assert both["to"] == later.isoformat()  # the freshest pair's end: the other pair still has its rows


@pytest.mark.parametrize(("query", "field", "says"), [
    ("/rates.csv?pairs=XYZ/KGS", "pairs", "unknown currency XYZ; allowed: KZT, KGS, TJS, TMT, UZS, USD"),
    ("/rates.csv?pairs=KGS/KGS", "pairs", "itself"),
    ("/rates.csv?pairs=RUB-KGS", "pairs", "BASE/QUOTE"),
    ("/rates.json?date=2026-05-24&from=2026-05-01", "date", "without from"),
    ("/rates.json?date=2026-05-24&to=2026-05-30", "date", "without to"),
    ("/rates.json?date=24.05.2026", "date", "YYYY-MM-DD"),
    ("/rates/latest.json?date=someday", "date", "YYYY-MM-DD"),
    ("/rates.csv?fill=previous&group=week", "fill", "group=day"),
    ("/rates.ndjson?fill=next", "fill", "allowed: previous"),
    ("/rates.csv?date=2026-05-24", "_unknown", "allowed:"),
])
def test_bad_input_is_a_400_that_says_what_is_allowed(app: Flask, query: str, field: str, says: str) -> None:
    response = app.test_client().get(query)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert says in error["message"] and says in " ".join(error["fields"][field])


def test_a_stored_code_is_allowed_and_listed(app: Flask) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        store_observations(session, "nbkr", DAY, [Observation(DAY, "RUB", "KGS", Decimal("1.2263"))], NOW,
                           priority=tuple(app.config["RATES_SOURCES"]))
        session.commit()
    client = app.test_client()
    assert client.get(f"/rates.csv?pairs=RUB/KGS&from={DAY}&to={DAY}").status_code == 200
    message = client.get("/rates.csv?pairs=XYZ/KGS").get_json()["error"]["message"]
    assert message.endswith("allowed: KZT, KGS, TJS, TMT, UZS, USD, RUB")
