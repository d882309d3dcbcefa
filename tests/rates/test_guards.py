"""The guards through ingest, on SQLite and PostgreSQL: the jump rule in time, confirmation, the
cross-check a day off, and decisions by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation, RateServed
from feedsvc.rates.ingest.guards import DecisionError, Limits, open_anomalies
from feedsvc.rates.ingest.store import decide_by_hand, store_observations
from feedsvc.rates.sources.base import Observation

NOW = datetime(2026, 12, 3, 6, tzinfo=UTC)
PRIORITY = ("nbk", "nbkr", "nbt", "cbu", "cbt", "peg", "currency-api")


@pytest.fixture
def session(app: Flask):
    with Session(app.extensions["feedsvc.engine"]) as session:
        yield session


def put(session: Session, source: str, day: date, currency: str, value: str,
        limits: Limits | None = None) -> int:
    """Store one value as a job would (its own transaction); the rows written."""
    result = store_observations(session, source, day, [Observation(day, currency, Decimal(value))], NOW,
                                limits, PRIORITY)
    session.commit()
    return result.written


def served(session: Session, currency: str) -> dict[date, tuple[str, str]]:
    rows = session.scalars(select(RateServed).filter_by(currency=currency).order_by(RateServed.date))
    return {row.date: (row.source, str(row.units_per_usd)) for row in rows}


def anomalies(session: Session) -> list[tuple[str, date, str, str, str]]:
    rows = session.scalars(select(RateAnomaly).order_by(RateAnomaly.date, RateAnomaly.reason))
    return [(a.source, a.date, a.reason, a.status, str(a.value)) for a in rows]


def test_a_devaluation_is_confirmed_by_the_next_observation(session: Session) -> None:
    # Uzbekistan, 2017: the sum floated; the central bank's rate nearly doubled overnight.
    put(session, "cbu", date(2017, 9, 4), "UZS", "4210.35")
    assert put(session, "cbu", date(2017, 9, 5), "UZS", "8100.00") == 0  # refused: +92 % in a day
    assert date(2017, 9, 5) not in served(session, "UZS")
    assert put(session, "cbu", date(2017, 9, 6), "UZS", "8100.00") == 1  # stays at the new level
    assert put(session, "cbu", date(2017, 9, 7), "UZS", "8105.50") == 1  # and the days after pass as usual
    assert served(session, "UZS") == {date(2017, 9, d): ("cbu", v) for d, v in
                                      [(4, "4210.35"), (5, "8100.00"), (6, "8100.00"), (7, "8105.50")]}
    anomaly = session.scalars(select(RateAnomaly)).one()
    assert (anomaly.reason, anomaly.status, anomaly.decided_by) == ("jump", "confirmed", "feedsvc")
    assert (anomaly.reference_date, str(anomaly.reference_value)) == (date(2017, 9, 4), "4210.35")
    assert anomaly.note == "the next observation (2017-09-06) stays at the new level"
    assert open_anomalies(session) == []


def test_a_one_day_slip_that_reverts_stays_refused_and_listed(session: Session) -> None:
    put(session, "nbkr", date(2025, 3, 3), "KGS", "87.45")
    assert put(session, "nbkr", date(2025, 3, 4), "KGS", "874.5") == 0  # a misplaced decimal comma
    assert put(session, "nbkr", date(2025, 3, 5), "KGS", "87.47") == 1  # back to the old level
    assert put(session, "nbkr", date(2025, 3, 6), "KGS", "87.46") == 1
    assert list(served(session, "KGS")) == [date(2025, 3, d) for d in (3, 5, 6)]
    assert anomalies(session) == [("nbkr", date(2025, 3, 4), "jump", "refused", "874.5")]
    assert [(a.source, a.date) for a in open_anomalies(session)] == [("nbkr", date(2025, 3, 4))]


def test_a_value_between_the_levels_nearer_the_old_does_not_confirm(session: Session) -> None:
    put(session, "cbu", date(2025, 3, 3), "UZS", "100")
    put(session, "cbu", date(2025, 3, 4), "UZS", "160")  # +60 %: refused
    assert put(session, "cbu", date(2025, 3, 5), "UZS", "120") == 1  # within 50 % of both, nearer 100
    assert anomalies(session) == [("cbu", date(2025, 3, 4), "jump", "refused", "160")]


def test_an_old_backfill_is_no_reference_for_today(session: Session) -> None:
    put(session, "nbkr", date(2005, 6, 30), "KGS", "41.0523")  # a backfill of NBKR's 2005 history page
    assert put(session, "nbkr", date(2026, 4, 1), "KGS", "87.4500") == 1  # +113 %, but 21 years later
    assert served(session, "KGS")[date(2026, 4, 1)] == ("nbkr", "87.4500")
    gap = session.scalars(select(RateAnomaly)).one()
    assert (gap.reason, gap.status, gap.reference_date) == ("gap", "accepted", date(2005, 6, 30))
    assert gap.note == "no observation of nbkr in the 7 days before"
    assert open_anomalies(session) == []  # served: nothing waits for a person
    # within the window the rule is back: the next day compares with today's value
    assert put(session, "nbkr", date(2026, 4, 2), "KGS", "41.06") == 0


def test_only_the_same_sources_observation_is_a_reference(session: Session) -> None:
    put(session, "currency-api", date(2017, 9, 4), "UZS", "4200")
    assert put(session, "cbu", date(2017, 9, 5), "UZS", "8100.00") == 1  # cbu's first value: no reference


def test_the_window_is_a_setting(session: Session) -> None:
    put(session, "cbu", date(2025, 3, 3), "UZS", "100")
    assert put(session, "cbu", date(2025, 3, 13), "UZS", "200", Limits(window_days=14)) == 0
    assert put(session, "cbu", date(2025, 3, 14), "UZS", "200", Limits(window_days=7)) == 1  # confirms 13th
    assert date(2025, 3, 13) in served(session, "UZS")


def test_another_source_agreeing_a_day_later_confirms_a_refused_jump(session: Session) -> None:
    put(session, "cbu", date(2017, 9, 4), "UZS", "4210.35")
    put(session, "cbu", date(2017, 9, 5), "UZS", "8100.00")  # refused, nothing else known yet
    put(session, "currency-api", date(2017, 9, 6), "UZS", "8110")  # built a day later (UTC), agrees
    assert served(session, "UZS")[date(2017, 9, 5)] == ("cbu", "8100.00")
    anomaly = session.scalars(select(RateAnomaly).where(RateAnomaly.reason == "jump")).one()
    assert (anomaly.status, anomaly.note) == ("confirmed", "currency-api agrees on 2017-09-06")


def test_a_source_two_days_off_does_not_confirm(session: Session) -> None:
    put(session, "cbu", date(2017, 9, 4), "UZS", "4210.35")
    put(session, "cbu", date(2017, 9, 5), "UZS", "8100.00")
    put(session, "currency-api", date(2017, 9, 7), "UZS", "8110")
    assert date(2017, 9, 5) not in served(session, "UZS")


def test_the_crosscheck_allows_a_day_of_offset(session: Session) -> None:
    day = date(2026, 4, 1)
    put(session, "currency-api", day, "KZT", "470.00")  # built at 00:00 UTC, before the move
    put(session, "nbk", day, "KZT", "520.00")  # 10.6 % off the same day: held back
    assert served(session, "KZT")[day] == ("currency-api", "470.00")
    assert [a.status for a in open_anomalies(session)] == ["held"]
    put(session, "currency-api", day + timedelta(days=1), "KZT", "519.00")  # next build agrees: released
    assert served(session, "KZT")[day] == ("nbk", "520.00")
    held = session.scalars(select(RateAnomaly)).one()
    assert (held.status, held.note) == ("released", "currency-api agrees within a day")


def test_a_neighbour_alone_does_not_hold_a_value_back(session: Session) -> None:
    put(session, "currency-api", date(2026, 4, 2), "KZT", "470.00")  # no currency-api file of the 1st
    put(session, "nbk", date(2026, 4, 1), "KZT", "520.00")
    assert served(session, "KZT")[date(2026, 4, 1)] == ("nbk", "520.00")
    assert anomalies(session) == []


def test_accepting_a_refused_jump_by_hand_stores_and_serves_it(session: Session) -> None:
    put(session, "nbkr", date(2025, 3, 3), "KGS", "87.45")
    put(session, "nbkr", date(2025, 3, 4), "KGS", "874.5")
    anomaly = decide_by_hand(session, "nbkr", date(2025, 3, 4), "KGS", "accept", "ops@desk", NOW, PRIORITY)
    session.commit()
    assert (anomaly.status, anomaly.decided_by, anomaly.decided_at) == ("accepted", "ops@desk", NOW)
    assert served(session, "KGS")[date(2025, 3, 4)] == ("nbkr", "874.5")


def test_refusing_a_stored_value_by_hand_holds_until_upstream_corrects_it(session: Session) -> None:
    put(session, "nbk", date(2026, 4, 1), "KZT", "478.77")
    put(session, "currency-api", date(2026, 4, 1), "KZT", "478.00")
    decide_by_hand(session, "nbk", date(2026, 4, 1), "KZT", "refuse", "ops", NOW, PRIORITY)
    session.commit()
    assert served(session, "KZT")[date(2026, 4, 1)] == ("currency-api", "478.00")
    assert anomalies(session) == [("nbk", date(2026, 4, 1), "manual", "refused", "478.77")]
    put(session, "nbk", date(2026, 4, 1), "KZT", "478.70")  # a correction is a new value, judged afresh
    assert served(session, "KZT")[date(2026, 4, 1)] == ("nbk", "478.70")


def test_the_rules_never_undo_a_decision_by_hand(session: Session) -> None:
    day = date(2026, 4, 1)
    put(session, "currency-api", day, "KZT", "470.00")
    put(session, "nbk", day, "KZT", "520.00")  # held back
    decide_by_hand(session, "nbk", day, "KZT", "accept", "ops", NOW, PRIORITY)
    session.commit()
    put(session, "currency-api", day, "KZT", "471.00")  # the cross-check runs again: still disagrees
    assert served(session, "KZT")[day] == ("nbk", "520.00")
    put(session, "cbu", date(2025, 3, 3), "UZS", "100")
    put(session, "cbu", date(2025, 3, 4), "UZS", "200")
    decide_by_hand(session, "cbu", date(2025, 3, 4), "UZS", "refuse", "ops", NOW, PRIORITY)
    session.commit()
    put(session, "cbu", date(2025, 3, 5), "UZS", "200")  # would have confirmed it: refused by hand stays
    assert date(2025, 3, 4) not in served(session, "UZS")
    assert session.scalars(select(RateObservation).filter_by(date=date(2025, 3, 4))).all() == []


@pytest.mark.parametrize(("verdict", "message"), [
    ("accept", "nothing to accept: nbk 2026-04-01 KZT is not refused or held back"),
    ("refuse", "nothing to refuse: nbk has no value of TJS on 2026-04-01"),
])
def test_a_decision_needs_something_to_decide(session: Session, verdict: str, message: str) -> None:
    put(session, "nbk", date(2026, 4, 1), "KZT", "478.77")
    currency = "KZT" if verdict == "accept" else "TJS"
    with pytest.raises(DecisionError, match=message):
        decide_by_hand(session, "nbk", date(2026, 4, 1), currency, verdict, "ops", NOW, PRIORITY)  # type: ignore[arg-type]
