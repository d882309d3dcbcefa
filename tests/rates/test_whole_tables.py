"""Whole tables stored as published: every line with its nominal and quote currency, nothing converted; a
bad line refused and recorded for its currency alone; the guards judge lines per unit; NBKR's weekly table
under its own date and validity."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation, RateServed
from feedsvc.rates.ingest.store import decide_by_hand, store_observations
from feedsvc.rates.sources import all_source_classes
from feedsvc.rates.sources.base import Observation, Table

UPSTREAM = Path(__file__).parents[1] / "fixtures" / "upstream"
NOW = datetime(2026, 4, 2, 6, tzinfo=UTC)
DAY = date(2026, 4, 1)
NBK_FILE = "nbk/get_rates_fdate_01.04.2026.xml"


@pytest.fixture
def session(app: Flask):
    with Session(app.extensions["feedsvc.engine"]) as session:
        yield session


def parse(name: str, path: str, day: date, spoil: tuple[bytes, bytes] | None = None) -> Table:
    payload = (UPSTREAM / path).read_bytes()
    if spoil:
        assert payload.count(spoil[0]) == 1
        payload = payload.replace(*spoil)
    return all_source_classes()[name]("").parse(payload, day)


def lines(session: Session, source: str) -> dict[tuple[str, str], tuple[str, int]]:
    rows = session.scalars(select(RateObservation).where(RateObservation.source == source))
    return {(row.currency, row.quote): (str(row.value), row.nominal) for row in rows}


def test_a_bank_table_is_stored_line_by_line_as_published_and_twice_adds_nothing(session: Session) -> None:
    table = parse("nbk", NBK_FILE, DAY)
    assert store_observations(session, "nbk", DAY, table, NOW).written == 39
    session.commit()
    stored = lines(session, "nbk")
    assert len(stored) == 39
    assert stored[("UZS", "KZT")] == ("3.93", 100) and stored[("AMD", "KZT")] == ("12.72", 10)
    assert stored[("USD", "KZT")] == ("478.77", 1)
    assert store_observations(session, "nbk", DAY, table, NOW).written == 0
    session.commit()
    assert session.get(RateServed, (DAY, "KZT")).units_per_usd == Decimal("478.77")  # X/USD as before


def test_a_malformed_line_is_refused_and_recorded_for_its_currency_alone(session: Session) -> None:
    spoil = (b"<description>478.77</description>", b"<description>4,78.77</description>")
    result = store_observations(session, "nbk", DAY, parse("nbk", NBK_FILE, DAY, spoil), NOW)
    session.commit()
    assert (result.written, result.refused) == (38, 1)
    assert ("USD", "KZT") not in lines(session, "nbk") and ("EUR", "KZT") in lines(session, "nbk")
    malformed = session.scalars(select(RateAnomaly)).one()
    assert (malformed.currency, malformed.quote, malformed.reason, malformed.status, malformed.value) == (
        "USD", "KZT", "malformed", "refused", None)
    assert "bad number '4,78.77'" in malformed.note
    assert session.get(RateServed, (DAY, "KZT")) is None
    # The bank corrects its file: the line is read, stored and served; the record says so.
    store_observations(session, "nbk", DAY, parse("nbk", NBK_FILE, DAY), NOW + timedelta(hours=1))
    session.commit()
    session.refresh(malformed)
    assert (malformed.status, malformed.decided_by) == ("released", "feedsvc")
    assert session.get(RateServed, (DAY, "KZT")).units_per_usd == Decimal("478.77")


def test_one_bad_currency_api_value_keeps_the_other_values_of_the_day(session: Session) -> None:
    body = b'{"date": "2025-12-25", "usd": {"kzt": "513.7", "kgs": 87.45917813, "tjs": 9.2543194, ' \
           b'"tmt": 3.49990806, "uzs": 12074.40038822}}'
    day = date(2025, 12, 25)
    table = all_source_classes()["currency-api"]("").parse(body, day)
    result = store_observations(session, "currency-api", day, table, NOW)
    session.commit()
    assert (result.written, result.refused) == (4, 1)
    served = {row.currency for row in session.scalars(select(RateServed).where(RateServed.date == day))}
    assert served == {"KGS", "TJS", "TMT", "UZS"}  # four of the five, not none
    malformed = select(RateAnomaly.quote).where(RateAnomaly.reason == "malformed")
    assert session.scalars(malformed).all() == ["KZT"]


def test_a_new_nominal_is_no_jump_the_guards_compare_per_unit(session: Session) -> None:
    before = DAY - timedelta(days=1)
    store_observations(session, "nbk", before, [Observation(before, "UZS", "KZT", Decimal("3.93"), 100)], NOW)
    # The bank now quotes UZS per 1000: ten times the number, the same rate per sum.
    result = store_observations(session, "nbk", DAY, [Observation(DAY, "UZS", "KZT", Decimal("39.5"), 1000)],
                                NOW)
    session.commit()
    assert (result.written, result.refused) == (1, 0)
    # A real slip of the same line is a jump, refused for that line alone, and decided by its pair's name.
    slip = DAY + timedelta(days=1)
    table = [Observation(slip, "UZS", "KZT", Decimal("395"), 1000),
             Observation(slip, "EUR", "KZT", Decimal("550.1"))]
    result = store_observations(session, "nbk", slip, table, NOW)
    session.commit()
    assert (result.written, result.refused) == (1, 1)
    anomaly = decide_by_hand(session, "nbk", slip, "UZS/KZT", "accept", "desk", NOW)
    session.commit()
    assert (anomaly.currency, anomaly.quote, anomaly.status) == ("UZS", "KZT", "accepted")
    assert lines(session, "nbk")[("UZS", "KZT")] == ("395", 1000)


def test_nbkr_weekly_is_stored_under_the_banks_date_with_its_validity(session: Session) -> None:
    fetched_on = date(2026, 5, 25)  # a Monday: the table of Saturday the 23rd still holds
    table = parse("nbkr-weekly", "nbkr/weekly.xml", fetched_on)
    store_observations(session, "nbkr-weekly", fetched_on, table, NOW)
    session.commit()
    rows = session.scalars(select(RateObservation)).all()
    assert len(rows) == 40 and {(row.date, row.valid_days, row.quote) for row in rows} == {
        (date(2026, 5, 23), 7, "KGS")}


def test_a_source_without_history_is_skipped_by_a_backfill(app_factory) -> None:
    app = app_factory(RATES_SOURCES=("nbkr-weekly", "peg"))
    result = app.test_cli_runner().invoke(args=["rates", "backfill", "--from", "2025-01-01", "--to",
                                                "2025-01-02"])
    assert result.exit_code == 0, result.output
    assert "nbkr-weekly: it publishes only its current table" in result.output
    assert "peg: 2 rows written, 2 days checked" in result.output
