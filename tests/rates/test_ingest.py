"""Validation and the idempotent upsert, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.changes import read_marker
from feedsvc.core.models import RateAnomaly, RateObservation, RateSourceDay
from feedsvc.rates.ingest.store import Limits, store_observations
from feedsvc.rates.sources.base import Observation, SourceError

NOW = datetime(2025, 12, 28, 6, tzinfo=UTC)
DAY = date(2025, 12, 25)


def obs(day: date, currency: str, value: str) -> Observation:
    return Observation(day, currency, Decimal(value))


def stored(session: Session) -> dict[tuple[str, date, str], Decimal]:
    rows = session.scalars(select(RateObservation))
    return {(r.source, r.date, r.currency): r.units_per_usd for r in rows}


@pytest.fixture
def session(app: Flask):
    with Session(app.extensions["feedsvc.engine"]) as session:
        yield session


def test_store_is_idempotent_and_exact(session: Session) -> None:
    day = [obs(DAY, "UZS", "12074.40038822"), obs(DAY, "KGS", "87.45917813")]
    assert store_observations(session, "currency-api", DAY, day, NOW).written == 2
    session.commit()
    revision = read_marker("rates", session).revision
    assert store_observations(session, "currency-api", DAY, day, NOW).written == 0
    session.commit()
    assert read_marker("rates", session).revision == revision  # nothing changed, no new ETag
    session.expunge_all()
    assert stored(session) == {("currency-api", DAY, "UZS"): Decimal("12074.40038822"),
                               ("currency-api", DAY, "KGS"): Decimal("87.45917813")}
    assert str(stored(session)[("currency-api", DAY, "UZS")]) == "12074.40038822"
    assert session.get(RateSourceDay, ("currency-api", DAY)).status == "ok"


def test_an_upstream_correction_updates_the_row_and_bumps_rates(session: Session) -> None:
    store_observations(session, "currency-api", DAY, [obs(DAY, "KZT", "513.72289445")], NOW)
    session.commit()
    revision = read_marker("rates", session).revision
    later = datetime(2025, 12, 28, 7, tzinfo=UTC)
    result = store_observations(session, "currency-api", DAY, [obs(DAY, "KZT", "513.7")], later)
    session.commit()
    assert result.written == 1
    row = session.scalars(select(RateObservation)).one()
    assert (row.units_per_usd, row.fetched_at) == (Decimal("513.7"), later)
    assert read_marker("rates", session).revision == revision + 1


@pytest.mark.parametrize(
    "bad",
    [obs(date(2025, 12, 24), "KZT", "513.7"), obs(DAY, "KZT", "0"), obs(DAY, "KZT", "-1"),
     obs(DAY, "KZT", "NaN"), obs(DAY, "KZT", "Infinity")],
    ids=["other date", "zero", "negative", "nan", "infinite"],
)
def test_invalid_values_refuse_the_whole_day(session: Session, bad: Observation) -> None:
    with pytest.raises(SourceError):
        store_observations(session, "currency-api", DAY, [obs(DAY, "KGS", "87.4"), bad], NOW)
    session.rollback()
    assert stored(session) == {}
    assert session.get(RateSourceDay, ("currency-api", DAY)) is None


def test_a_jump_over_the_limit_is_refused_and_recorded(session: Session) -> None:
    # a +60 % day-on-day jump on UZS; KGS the same day is fine and stored
    store_observations(session, "cbu", date(2026, 3, 31), [obs(date(2026, 3, 31), "UZS", "12194.21")], NOW)
    day = [obs(date(2026, 4, 1), "UZS", "19510.74"), obs(date(2026, 4, 1), "KGS", "87")]
    result = store_observations(session, "cbu", date(2026, 4, 1), day, NOW)
    session.commit()
    assert (result.written, result.refused) == (1, 1)
    assert ("cbu", date(2026, 4, 1), "UZS") not in stored(session)
    anomaly = session.scalars(select(RateAnomaly)).one()
    assert (anomaly.reason, anomaly.value, anomaly.reference_value) == ("jump", Decimal("19510.74"),
                                                                         Decimal("12194.21"))
    # asking again records the same anomaly once
    store_observations(session, "cbu", date(2026, 4, 1), [obs(date(2026, 4, 1), "UZS", "19510.74")], NOW)
    session.commit()
    assert len(session.scalars(select(RateAnomaly)).all()) == 1


def test_a_jump_within_the_limit_passes(session: Session) -> None:
    store_observations(session, "cbu", date(2026, 3, 31), [obs(date(2026, 3, 31), "UZS", "100")], NOW)
    result = store_observations(session, "cbu", date(2026, 4, 1), [obs(date(2026, 4, 1), "UZS", "150")], NOW,
                                Limits(max_jump_pct=50))
    assert result.written == 1


def test_a_jump_confirmed_by_a_second_source_is_accepted(session: Session) -> None:
    day = date(2026, 4, 1)
    store_observations(session, "cbu", date(2026, 3, 31), [obs(date(2026, 3, 31), "UZS", "12194.21")], NOW)
    store_observations(session, "currency-api", day, [obs(day, "UZS", "19400")], NOW)
    result = store_observations(session, "cbu", day, [obs(day, "UZS", "19510.74")], NOW,
                                Limits(max_jump_pct=50, crosscheck_pct=5))
    session.commit()
    assert result.written == 1
    assert stored(session)[("cbu", day, "UZS")] == Decimal("19510.74")
    anomaly = session.scalars(select(RateAnomaly)).one()  # the jump, recorded as confirmed, so it is visible
    assert (anomaly.reason, anomaly.status) == ("jump", "confirmed")
    assert anomaly.note == "currency-api agrees on 2026-04-01"
