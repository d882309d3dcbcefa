"""The X/USD rows materialised in rate_served (usd_*): the fast CSV and the periods summed from the stored
quotients are byte for byte the slow path's on a random history; every kind of write keeps them right."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedsvc.changes import bump_markers
from feedsvc.countries import RATES_SCOPE
from feedsvc.models import RateServed
from feedsvc.rates.constants import USD
from feedsvc.rates.ingest import batch, decide_by_hand, store_observations
from feedsvc.rates.params import Pair, RateQuery
from feedsvc.rates.periods import group_rows
from feedsvc.rates.query import select_series
from feedsvc.rates.render import render_csv, render_json
from feedsvc.rates.rendered import fits_usd_csv, stream_usd_csv
from feedsvc.rates.served import recompute_all
from feedsvc.rates.sources.base import Observation
from feedsvc.rates.usd_periods import usd_period_rows

NOW = datetime(2026, 12, 3, 6, tzinfo=UTC)
PRIORITY = ("nbk", "cbu", "peg", "currency-api")
CURRENCIES = ("KZT", "KGS", "TJS", "TMT", "UZS")
LEVELS = {"KZT": "450.12", "KGS": "87.4766", "TJS": "10.9", "TMT": "3.5", "UZS": "12194.21"}
FIRST = date(2024, 1, 1)


@pytest.fixture
def session(app: Flask):
    with Session(app.extensions["feedsvc.engine"]) as session:
        yield session


def put(session: Session, source: str, day: date, values: dict[str, str],
        priority: tuple[str, ...] = PRIORITY) -> None:
    """Store one source's values of one day as a job would, in its own transaction."""
    observations = [Observation(day, currency, Decimal(value)) for currency, value in values.items()]
    store_observations(session, source, day, observations, NOW, priority=priority)
    session.commit()


def slow_csv(session: Session, query: RateQuery, priority: tuple[str, ...] = PRIORITY) -> str:
    """The CSV the general path renders: rows derived and compared in Python."""
    return "".join(render_csv(select_series(session, query, priority), query))


def fast_csv(session: Session, query: RateQuery) -> str:
    """The CSV streamed from the stored lines."""
    return "".join(stream_usd_csv(session, query))


def query(start: date, end: date, currencies: tuple[str, ...] = CURRENCIES) -> RateQuery:
    return RateQuery(tuple(Pair(c, USD) for c in currencies), start, end)


def assert_columns_right(session: Session, priority: tuple[str, ...] = PRIORITY) -> None:
    """Every stored line is what the slow path shows, over the whole history (first row included)."""
    whole = query(date(2000, 1, 1), date(2030, 12, 31))
    assert fast_csv(session, whole) == slow_csv(session, whole, priority)
    assert session.scalar(select(RateServed.date).where(RateServed.usd_csv.is_(None)).limit(1)) is None


def random_value(rng: random.Random, level: Decimal) -> str:
    """A value near ``level`` with 1 to 8 decimals, now and then a jump the guards refuse."""
    factor = Decimal(rng.choice([1] * 30 + [2, 0.4])) * (1 + Decimal(rng.randint(-300, 300)) / 10000)
    return str((level * factor).quantize(Decimal(1).scaleb(-rng.randint(1, 8))))


def random_history(session: Session, rng: random.Random, days: int = 90) -> None:
    """Several sources over ``days`` with gaps over a week, disagreements, jumps, the peg, out of order."""
    writes = []
    skip_until = FIRST
    for offset in range(days):
        day = FIRST + timedelta(days=offset)
        if day < skip_until:
            continue
        if rng.random() < 0.04:  # a gap longer than CHANGE_DAYS
            skip_until = day + timedelta(days=rng.randint(8, 14))
        for currency in CURRENCIES:
            level = Decimal(LEVELS[currency])
            if rng.random() < 0.8:
                writes.append(("currency-api", day, {currency: random_value(rng, level)}))
            if rng.random() < 0.6:
                writes.append((rng.choice(["nbk", "cbu"]), day, {currency: random_value(rng, level)}))
        if rng.random() < 0.5:
            writes.append(("peg", day, {"TMT": "3.5"}))
    rng.shuffle(writes)  # backfills and late corrections arrive in any order
    for source, day, values in writes:
        put(session, source, day, values)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_stored_lines_are_the_slow_paths_csv_byte_for_byte(app: Flask, session: Session,
                                                               seed: int) -> None:
    rng = random.Random(seed)
    random_history(session, rng)
    client = app.test_client()
    last = FIRST + timedelta(days=95)
    for _ in range(6):
        start = FIRST + timedelta(days=rng.randint(0, 60))  # the first row's change reaches before it
        end = start + timedelta(days=rng.randint(0, 40))
        pairs = tuple(rng.sample(CURRENCIES, rng.randint(1, 5)))  # any subset, in any order
        wanted = query(start, end, pairs)
        expected = slow_csv(session, wanted)
        assert fast_csv(session, wanted) == expected
        for group in ("week", "month", "year"):  # periods summed from the stored quotients
            grouped = replace(wanted, group=group)
            slow_rows = group_rows(select_series(session, grouped, PRIORITY), grouped.pairs, group)
            assert "".join(render_json(usd_period_rows(session, grouped), grouped)) == "".join(
                render_json(slow_rows, grouped))
        names = ",".join(f"{c}/USD" for c in pairs)
        answer = client.get(f"/rates.csv?from={start}&to={end}&pairs={names}")
        assert answer.status_code == 200 and answer.text == expected
        monthly = replace(wanted, group="month")
        answer = client.get(f"/rates.csv?from={start}&to={end}&pairs={names}&group=month")
        assert answer.text == "".join(render_csv(group_rows(select_series(session, monthly, PRIORITY),
                                                            monthly.pairs, "month"), monthly))
    assert_columns_right(session)
    # A new priority recomputes the whole table, the stored lines with it.
    reordered = ("currency-api", "peg", "cbu", "nbk")
    put(session, "nbk", last, {"KZT": "451.5"}, priority=reordered)
    assert_columns_right(session, reordered)


def test_the_csv_route_reads_the_stored_lines(app: Flask, session: Session) -> None:
    put(session, "currency-api", FIRST, {"KZT": "450.5", "UZS": "12194.21"})
    url = f"/rates.csv?from={FIRST}&to={FIRST}"
    assert app.test_client().get(url).text.splitlines() == [
        "date,pair,rate,change_pct,source", "2024-01-01,KZT/USD,0.00221976,,currency-api",
        "2024-01-01,UZS/USD,0.00008200613,,currency-api"]
    session.execute(update(RateServed).where(RateServed.currency == "KZT").values(usd_csv="marker\r\n"))
    bump_markers(session, [RATES_SCOPE], NOW + timedelta(hours=1))  # a new revision: not the cached bytes
    session.commit()
    assert "marker" in app.test_client().get(url).text  # not recomputed per request
    for other in ("&layout=wide", "&group=month", "&source=currency-api", "&pairs=KZT/UZS", "&pairs=USD/KZT"):
        assert "marker" not in app.test_client().get(url + other).text, other


def test_only_long_day_rows_of_x_usd_pairs_over_several_sources_fit() -> None:
    pairs = (Pair("KZT", USD), Pair("UZS", USD))
    assert fits_usd_csv(RateQuery(pairs), PRIORITY)
    assert not fits_usd_csv(RateQuery(pairs), ("currency-api",))  # one source reads its observations
    assert not fits_usd_csv(RateQuery(pairs, source="nbk"), PRIORITY)
    assert not fits_usd_csv(RateQuery(pairs, layout="wide"), PRIORITY)
    assert not fits_usd_csv(RateQuery(pairs, group="week"), PRIORITY)
    assert not fits_usd_csv(RateQuery((Pair(USD, "KZT"),)), PRIORITY)
    assert not fits_usd_csv(RateQuery((Pair("KZT", "UZS"),)), PRIORITY)


def stored(session: Session, currency: str) -> dict[date, tuple[str | None, str | None]]:
    rows = session.scalars(select(RateServed).filter_by(currency=currency).order_by(RateServed.date))
    return {row.date: (row.usd_rate, row.usd_change) for row in rows}


def test_a_backfilled_day_in_the_middle_changes_the_next_days_change(session: Session) -> None:
    day = FIRST
    put(session, "nbk", day, {"KZT": "500"})
    put(session, "nbk", day + timedelta(days=2), {"KZT": "400"})
    put(session, "nbk", day + timedelta(days=12), {"KZT": "500"})  # over a week after: no change
    assert stored(session, "KZT") == {day: ("0.00200000", None),
                                      day + timedelta(days=2): ("0.00250000", "25.00"),
                                      day + timedelta(days=12): ("0.00200000", None)}
    put(session, "nbk", day + timedelta(days=1), {"KZT": "450"})  # backfilled between the two
    put(session, "nbk", day + timedelta(days=8), {"KZT": "400"})  # and one within a week of the last
    assert stored(session, "KZT")[day + timedelta(days=2)] == ("0.00250000", "12.50")
    assert stored(session, "KZT")[day + timedelta(days=12)] == ("0.00200000", "-20.00")
    assert_columns_right(session)


def test_a_hold_back_and_its_release_keep_the_columns_right(session: Session) -> None:
    day, next_day = FIRST, FIRST + timedelta(days=1)
    put(session, "nbk", day, {"KZT": "470.00"})
    put(session, "nbk", next_day, {"KZT": "471.20"})
    assert stored(session, "KZT")[next_day] == ("0.00212224", "-0.25")
    put(session, "currency-api", day, {"KZT": "412.73"})  # NBK 14 % off: held back, currency-api served
    assert stored(session, "KZT") == {day: ("0.00242289", None), next_day: ("0.00212224", "-12.41")}
    assert_columns_right(session)
    put(session, "currency-api", day, {"KZT": "470.50"})  # corrected upstream: NBK released
    assert stored(session, "KZT") == {day: ("0.00212766", None), next_day: ("0.00212224", "-0.25")}
    assert_columns_right(session)


def test_a_refused_jump_accepted_by_hand_and_a_batch_keep_the_columns_right(session: Session) -> None:
    put(session, "cbu", FIRST, {"UZS": "4210.35"})
    put(session, "cbu", FIRST + timedelta(days=1), {"UZS": "8100.00"})  # refused: +92 % in a day
    put(session, "cbu", FIRST + timedelta(days=3), {"UZS": "4215.00"})
    assert list(stored(session, "UZS")) == [FIRST, FIRST + timedelta(days=3)]
    decide_by_hand(session, "cbu", FIRST + timedelta(days=1), "UZS", "accept", "tester", NOW, PRIORITY)
    session.commit()
    assert stored(session, "UZS")[FIRST + timedelta(days=3)][1] == "92.17"
    assert_columns_right(session)
    with batch(session, NOW, priority=PRIORITY):  # recompute_range: a bulk load, out of order
        for offset in (9, 5, 7, 2):
            day = FIRST + timedelta(days=offset)
            store_observations(session, "cbu", day, [Observation(day, "UZS", Decimal(f"42{offset}0.5"))], NOW,
                               priority=PRIORITY)
    session.commit()
    assert_columns_right(session)


def test_recompute_all_fills_the_columns(session: Session) -> None:
    put(session, "currency-api", FIRST, {"KZT": "450.5", "TMT": "3.4965"})
    put(session, "peg", FIRST + timedelta(days=1), {"TMT": "3.5"})
    session.execute(update(RateServed).values(usd_rate=None, usd_change=None, usd_csv=None))
    recompute_all(session, PRIORITY)
    session.commit()
    assert stored(session, "TMT") == {FIRST: ("0.286000", None),
                                      FIRST + timedelta(days=1): ("0.285714", "-0.10")}
    assert_columns_right(session)
