"""Real history through the official sources only, a local server replaying the bank: a backfill across
Uzbekistan's 2017 devaluation, a one-day slip that reverts, an update years later; review and decisions
by hand (``feedsvc rates review|accept|refuse``); coverage in /rates/sources.json and missing.csv."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from flask import Flask

OFFICIAL = ("nbk", "nbkr", "nbt", "cbu", "cbt", "peg")
# CBU's USD rate per working day. 4210.35 -> 8100.00 on 2017-09-05 is the real devaluation; the other
# values are near the real ones, and 08-29 carries a misplaced digit, reverted the next day.
CBU_2017 = {
    date(2017, 8, 28): "4195.10", date(2017, 8, 29): "41951.00", date(2017, 8, 30): "4199.64",
    date(2017, 8, 31): "4203.75", date(2017, 9, 1): "4210.35", date(2017, 9, 4): "4210.35",
    date(2017, 9, 5): "8100.00", date(2017, 9, 6): "8100.00", date(2017, 9, 7): "8090.00",
    date(2017, 9, 8): "8070.53",
}
SLIP = date(2017, 8, 29)
TODAY = datetime.now(UTC).date()


def cbu_payload(recorded: bytes, day: date, usd: str) -> bytes:
    """The recorded CBU file (2026-04-01) as it would read on ``day`` with USD at ``usd``."""
    rows = json.loads(recorded)
    for row in rows:
        row["Date"] = f"{day:%d.%m.%Y}"
        if row["Ccy"] == "USD":
            row["Rate"] = usd
    return json.dumps(rows).encode()


@pytest.fixture
def history_app(app_factory, mirror, fast_http, upstream_bytes) -> Flask:
    recorded = upstream_bytes("cbu/json_all_2026-04-01.json")
    for day, usd in CBU_2017.items():
        mirror.serve("cbu", day, cbu_payload(recorded, day, usd))
    mirror.serve("cbu", date(2026, 4, 1), recorded)
    mirror.serve("cbu", TODAY, cbu_payload(recorded, TODAY, "12194.21"))
    mirror.answer_404_elsewhere()
    return app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=OFFICIAL, **fast_http)


def cli(app: Flask, *args: str, code: int = 0) -> str:
    result = app.test_cli_runner().invoke(args=["rates", *args])
    assert result.exit_code == code, result.output
    return result.output


def uzs_rows(app: Flask, start: date, end: date) -> list[dict[str, str]]:
    body = app.test_client().get(f"/rates.csv?pairs=USD/UZS&from={start}&to={end}").get_data(as_text=True)
    return list(csv.DictReader(io.StringIO(body)))


def source(app: Flask, name: str) -> dict:
    sources = app.test_client().get("/rates/sources.json").get_json()["sources"]
    return next(entry for entry in sources if entry["name"] == name)


def test_a_backfill_across_a_devaluation_serves_every_day_from_the_bank(history_app: Flask) -> None:
    cli(history_app, "backfill", "--source", "cbu", "--from", "2017-08-28", "--to", "2017-09-08")
    rows = uzs_rows(history_app, date(2017, 8, 28), date(2017, 9, 8))
    assert [(row["date"], row["rate"], row["source"]) for row in rows] == [
        (f"{day}", usd, "cbu") for day, usd in CBU_2017.items() if day != SLIP]
    devaluation = next(row for row in rows if row["date"] == "2017-09-05")
    assert devaluation["change_pct"] == "92.38"  # 8100.00 / 4210.35 − 1, against the bank's own 09-04

    review = cli(history_app, "review")
    assert review.splitlines() == [
        "cbu           2017-08-29 USD/UZS         41951.00  jump      refused   vs cbu 2017-08-28 4195.10: "
        "moved more than 50 % in a day"]
    assert "2017-09-05" in cli(history_app, "review", "--all")  # confirmed: only in the full list
    cbu = source(history_app, "cbu")
    assert cbu["anomaly_counts"] == {"refused": 1, "held": 0, "confirmed": 1, "accepted": 0, "released": 0}
    assert [(a["date"], a["reason"], a["status"]) for a in cbu["anomalies"]] == [
        ("2017-09-05", "jump", "confirmed"), ("2017-08-29", "jump", "refused")]
    assert cbu["anomalies"][0]["note"] == "the next observation (2017-09-06) stays at the new level"
    assert (cbu["first_date"], cbu["last_date"], cbu["days_with_data"]) == ("2017-08-28", "2017-09-08", 9)
    assert cbu["missing_days"] == 1 and cbu["publishes_on"] == ["mon", "tue", "wed", "thu", "fri"]
    assert cbu["stale"] is True and cbu["publishing_days_since_last"] > 2000
    missing = history_app.test_client().get("/rates/sources/cbu/missing.csv")
    assert missing.mimetype == "text/csv"
    assert missing.get_data(as_text=True) == "date,weekday,status\r\n2017-08-29,Tue,refused\r\n"

    # an update years later stores today's value: the 2017 one is no reference
    output = cli(history_app, "update", "--source", "cbu", "--date", "2026-04-01")
    assert "cbu: 75 rows written" in output  # the whole table of 2026-04-01
    assert uzs_rows(history_app, date(2026, 4, 1), date(2026, 4, 1))[0]["rate"] == "12194.21"
    gap = source(history_app, "cbu")["anomalies"][0]
    assert (gap["date"], gap["reason"], gap["status"], gap["reference_date"]) == (
        "2026-04-01", "gap", "accepted", "2017-09-08")


def test_decisions_by_hand_are_recorded_with_who_and_when(history_app: Flask) -> None:
    cli(history_app, "backfill", "--source", "cbu", "--from", "2017-08-28", "--to", "2017-09-01")
    accepted = cli(history_app, "accept", "cbu", "2017-08-29", "uzs", "--by", "desk@example.org")
    assert accepted == "accepted: cbu 2017-08-29 USD/UZS 41951.00 (served from now on)\n"
    assert "2017-08-29" in [row["date"] for row in uzs_rows(history_app, date(2017, 8, 28), date(2017, 9, 1))]
    assert cli(history_app, "review") == "nothing to review\n"
    refused = cli(history_app, "refuse", "cbu", "2017-08-29", "UZS", "--by", "editor")
    assert refused == "refused: cbu 2017-08-29 USD/UZS 41951.00 (never served)\n"
    slip = source(history_app, "cbu")["anomalies"][0]
    assert (slip["status"], slip["decided_by"]) == ("refused", "editor") and slip["decided_at"].endswith("Z")
    served = uzs_rows(history_app, date(2017, 8, 28), date(2017, 9, 1))
    assert "2017-08-29" not in [row["date"] for row in served]
    assert "[editor, " in cli(history_app, "review", "--all")

    nothing = cli(history_app, "accept", "cbu", "2017-08-30", "UZS", code=1)
    assert "nothing to accept: cbu 2017-08-30 USD/UZS is not refused or held back" in nothing
    assert "Invalid value for 'DAY'" in cli(history_app, "refuse", "cbu", "2017-02-30", "UZS", code=2)


def test_missing_days_of_an_unknown_source_or_with_parameters_are_4xx(history_app: Flask) -> None:
    client = history_app.test_client()
    unknown = client.get("/rates/sources/ecb/missing.csv")
    assert unknown.status_code == 404 and "unknown source 'ecb'" in unknown.get_json()["error"]["message"]
    assert client.get("/rates/sources/cbu/missing.csv?from=2017-01-01").status_code == 400
    assert client.get("/rates/sources/cbu/missing.csv").get_data(as_text=True) == "date,weekday,status\r\n"


def test_latest_marks_a_stale_value_and_not_a_fresh_one(history_app: Flask) -> None:
    cli(history_app, "backfill", "--source", "cbu", "--from", "2017-09-07", "--to", "2017-09-08")
    latest = history_app.test_client().get("/rates/latest.json?pairs=USD/UZS").get_json()["rates"][0]
    assert (latest["date"], latest["stale"], latest["prev_date"]) == ("2017-09-08", True, "2017-09-07")
    page = history_app.test_client().get("/rates").get_data(as_text=True)
    assert '>as of <time datetime="2017-09-08">8 Sep 2017</time></span>' in page  # short, with its year
    cli(history_app, "update", "--source", "cbu")  # today's file
    latest = history_app.test_client().get("/rates/latest.json?pairs=USD/UZS").get_json()["rates"][0]
    assert (latest["date"], latest["stale"], latest["prev_date"]) == (f"{TODAY}", False, None)
    assert source(history_app, "cbu")["stale"] is False
    assert 'class="stale"' not in history_app.test_client().get("/rates").get_data(as_text=True)
