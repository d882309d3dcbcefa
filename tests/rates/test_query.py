"""Series queries on real databases: priority, held-back values, previous dates of cross pairs, change."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from feedsvc.core.models import RateAnomaly, RateObservation
from feedsvc.rates.exact import change_pct, significant_digits
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.read.paths import ReadPath
from feedsvc.rates.read.series import derive_rate, iter_served_days, newest_date, select_latest, select_series
from feedsvc.rates.served import recompute_all

NOW = datetime(2025, 5, 6, tzinfo=UTC)
SOURCES = ("nbk", "nbkr", "currency-api")
BY_PRIORITY = ReadPath(own=None, materialised=False)  # rate_served, computed with SOURCES
NBK_ONLY = ReadPath(own="nbk", materialised=False)


@pytest.fixture
def session(app: Flask):
    with Session(app.extensions["feedsvc.engine"]) as session:
        for source, day, currency, value in [
            ("currency-api", 1, "KZT", "510"), ("currency-api", 1, "KGS", "87.5"),
            ("currency-api", 2, "KZT", "511"),  # no KGS on day 2
            ("nbk", 3, "KZT", "512.00"), ("currency-api", 3, "KZT", "999"),
            ("currency-api", 3, "KGS", "87.6"),
            ("nbk", 4, "KZT", "600.00"), ("currency-api", 4, "KZT", "513"),  # NBK's day 4 is held back
            ("nbkr", 4, "KGS", "87.7000"), ("currency-api", 4, "KGS", "87.8"),
            ("cbu", 4, "UZS", "12000"),  # a source that is not enabled here
        ]:
            session.add(RateObservation(source=source, date=date(2025, 5, day), currency=currency,
                                        units_per_usd=Decimal(value), fetched_at=NOW))
        session.add(RateAnomaly(source="nbk", date=date(2025, 5, 4), currency="KZT", value=Decimal("600.00"),
                                reason="disagree", status="held", reference_source="currency-api",
                                reference_value=Decimal("513"), recorded_at=NOW))
        recompute_all(session, SOURCES)  # rows inserted directly: materialise what ingest would
        session.commit()
        yield session


def test_served_days_follow_priority_and_skip_held_back(session: Session) -> None:
    days = dict(iter_served_days(session, ("KZT", "KGS"), BY_PRIORITY, date(2025, 5, 1), date(2025, 5, 4)))
    assert days[date(2025, 5, 3)]["KZT"] == (Decimal("512.00"), "nbk")
    assert days[date(2025, 5, 4)]["KZT"] == (Decimal("513"), "currency-api")
    assert days[date(2025, 5, 4)]["KGS"] == (Decimal("87.7000"), "nbkr")
    assert "KGS" not in days[date(2025, 5, 2)]


def _prev_date(session: Session, pair: Pair, day: date, path: ReadPath = BY_PRIORITY) -> date | None:
    """The ``prev_date`` of ``pair``'s row on ``day``, from a series that starts that day."""
    rows = list(select_series(session, RateQuery((pair,), day, day), path))
    assert len(rows) == 1
    return rows[0].prev_date


def test_previous_date_of_a_cross_pair_needs_both_currencies(session: Session) -> None:
    assert _prev_date(session, Pair("KZT", "KGS"), date(2025, 5, 3)) == date(2025, 5, 1)
    assert _prev_date(session, Pair("KZT", "USD"), date(2025, 5, 3)) == date(2025, 5, 2)
    assert _prev_date(session, Pair("KZT", "USD"), date(2025, 5, 3), NBK_ONLY) is None
    assert newest_date(session, ("UZS",), BY_PRIORITY) is None
    assert newest_date(session, ("KZT",), NBK_ONLY) == date(2025, 5, 3)


def test_series_change_reaches_back_past_from(session: Session) -> None:
    query = RateQuery((Pair("KGS", "KZT"),), date(2025, 5, 2), date(2025, 5, 4))
    rows = list(select_series(session, query, BY_PRIORITY))
    assert [(r.date.day, r.source) for r in rows] == [(3, "currency-api+nbk"), (4, "nbkr+currency-api")]
    first_rate = Decimal("512.00") / Decimal("87.6")
    assert rows[0].change_pct == change_pct(first_rate, Decimal(510) / Decimal("87.5"))  # against day 1
    assert rows[1].change_pct == change_pct(Decimal(513) / Decimal("87.7000"), first_rate)


def test_latest(session: Session) -> None:
    latest = select_latest(session, (Pair("USD", "KZT"), Pair("UZS", "USD")), BY_PRIORITY)
    assert [(r.pair, r.date.day, r.rate, r.digits, r.source) for r in latest] == [
        (Pair("USD", "KZT"), 4, Decimal(513), 6, "currency-api")]


def test_derive_rate_and_change() -> None:
    served = {"KZT": (Decimal("517.07302837"), "currency-api"), "UZS": (Decimal("12194.21"), "cbu")}
    rate, digits, source = derive_rate(Pair("UZS", "KZT"), served)
    assert (digits, source) == (11, "cbu+currency-api")
    assert derive_rate(Pair("KGS", "USD"), served) is None
    assert change_pct(Decimal("1.00001"), Decimal("1.00002")) == Decimal("0.00")
    assert str(change_pct(Decimal("1.00001"), Decimal("1.00002"))) == "0.00"  # never "-0.00"
    assert change_pct(Decimal("1"), None) is None
    assert change_pct(Decimal("102.345"), Decimal("100")) == Decimal("2.34")  # half to even, 2 decimals


def test_long_series_crosses_query_windows_without_gaps(app: Flask) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        first = date(2024, 1, 1)
        for i in range(400):
            session.add(RateObservation(source="currency-api", date=date.fromordinal(first.toordinal() + i),
                                        currency="KZT", units_per_usd=Decimal(500 + i), fetched_at=NOW))
        recompute_all(session, SOURCES)
        session.commit()
        query = RateQuery((Pair("USD", "KZT"),), date(2024, 1, 2), date(2025, 12, 31))
        rows = list(select_series(session, query, BY_PRIORITY))
    assert [row.rate for row in rows] == [Decimal(501 + i) for i in range(399)]
    assert all(row.change_pct is not None and row.change_pct > 0 for row in rows)


@given(st.decimals(allow_nan=True, allow_infinity=True) | st.decimals(places=8, min_value=0, max_value=10**6))
@settings(max_examples=500, deadline=None)
def test_significant_digits_counts_as_as_tuple_does(value: Decimal) -> None:
    assert significant_digits(value) == len(value.as_tuple().digits)
