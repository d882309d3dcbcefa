"""The X/USD rows materialised in rate_served (usd_*) and their month sums (rate_served_months): the fast CSV
and the periods summed from the stored quotients or months are byte for byte the slow path's on a random
history; every kind of write keeps them right."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import RATES_SCOPE
from feedsvc.core.models import RateServed, RateServedMonth
from feedsvc.rates.constants import USD
from feedsvc.rates.exact import Period
from feedsvc.rates.ingest.store import batch, decide_by_hand, store_observations
from feedsvc.rates.read.formats import render_csv, render_json, render_ndjson
from feedsvc.rates.read.materialised import stream_usd_csv, usd_period_rows
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.read.paths import ReadPath, choose_path
from feedsvc.rates.read.periods import group_rows
from feedsvc.rates.read.series import select_series
from feedsvc.rates.served import recompute_all
from feedsvc.rates.sources.base import Observation

NOW = datetime(2026, 12, 3, 6, tzinfo=UTC)
PRIORITY = ("nbk", "cbu", "peg", "currency-api")
CURRENCIES = ("KZT", "KGS", "TJS", "TMT", "UZS")
LEVELS = {"KZT": "450.12", "KGS": "87.4766", "TJS": "10.9", "TMT": "3.5", "UZS": "12194.21"}
FIRST = date(2024, 1, 1)
BY_PRIORITY = ReadPath(own=None, materialised=False)  # the general path over rate_served


@pytest.fixture
def session(app: Flask):
    with Session(app.extensions["feedsvc.engine"]) as session:
        yield session


def put(session: Session, source: str, day: date, values: dict[str, str],
        priority: tuple[str, ...] = PRIORITY) -> None:
    """Store one source's values of one day as a job would, in its own transaction."""
    observations = [Observation(day, "USD", currency, Decimal(value)) for currency, value in values.items()]
    store_observations(session, source, day, observations, NOW, priority=priority)
    session.commit()


def slow_csv(session: Session, query: RateQuery) -> str:
    """The CSV the general path renders: rows derived and compared in Python."""
    return "".join(render_csv(select_series(session, query, BY_PRIORITY), query))


def fast_csv(session: Session, query: RateQuery) -> str:
    """The CSV streamed from the stored lines."""
    return "".join(stream_usd_csv(session, query))


def query(start: date, end: date, currencies: tuple[str, ...] = CURRENCIES) -> RateQuery:
    return RateQuery(tuple(Pair(c, USD) for c in currencies), start, end)


def assert_columns_right(session: Session, priority: tuple[str, ...] = PRIORITY) -> None:
    """Every stored line is what the slow path shows, over the whole history (first row included)."""
    whole = query(date(2000, 1, 1), date(2030, 12, 31))
    assert fast_csv(session, whole) == slow_csv(session, whole)
    assert session.scalar(select(RateServed.date).where(RateServed.usd_csv.is_(None)).limit(1)) is None
    assert stored_months(session) == months_added_one_by_one(session, whole, priority)


MonthRows = dict[tuple[str, date], tuple[str, int, int, str, str]]  # (currency, month) -> the stored columns


def stored_months(session: Session) -> MonthRows:
    """rate_served_months as it is."""
    rows = session.scalars(select(RateServedMonth))
    return {(row.currency, row.month): (row.total, row.count, row.digits, row.close, row.sources)
            for row in rows}


def months_added_one_by_one(session: Session, whole: RateQuery, priority: tuple[str, ...]) -> MonthRows:
    """What rate_served_months should hold: the slow path's X/USD rows added to a Period day by day,
    weekend repeats left out."""
    periods: dict[tuple[str, date], Period] = {}
    for row in select_series(session, whole, BY_PRIORITY):
        if row.repeated:
            continue
        month = row.date.replace(day=1)
        periods.setdefault((row.pair.base, month), Period(month)).add(row.rate, row.digits, row.source)
    return {key: (str(p.total), p.count, p.digits, str(p.close), ";".join(p.sources))
            for key, p in periods.items()}


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


@pytest.mark.parametrize("seed", [1])
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
            slow_rows = group_rows(select_series(session, grouped, BY_PRIORITY), grouped.pairs, group)
            assert "".join(render_json(usd_period_rows(session, grouped), grouped)) == "".join(
                render_json(slow_rows, grouped))
        names = ",".join(f"{c}/USD" for c in pairs)
        answer = client.get(f"/rates.csv?from={start}&to={end}&pairs={names}")
        assert answer.status_code == 200 and answer.text == expected
        monthly = replace(wanted, group="month")
        answer = client.get(f"/rates.csv?from={start}&to={end}&pairs={names}&group=month")
        assert answer.text == "".join(render_csv(group_rows(select_series(session, monthly, BY_PRIORITY),
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
    assert choose_path(RateQuery(pairs), PRIORITY).stored_lines
    assert not choose_path(RateQuery(pairs), ("currency-api",)).stored_lines  # one source: its observations
    assert not choose_path(RateQuery(pairs, source="nbk"), PRIORITY).stored_lines
    assert not choose_path(RateQuery(pairs, layout="wide"), PRIORITY).stored_lines
    assert choose_path(RateQuery(pairs, group="week"), PRIORITY).stored_periods
    assert not choose_path(RateQuery(pairs, group="week"), PRIORITY).stored_lines
    assert not choose_path(RateQuery((Pair(USD, "KZT"),)), PRIORITY).materialised
    assert not choose_path(RateQuery((Pair("KZT", "UZS"),)), PRIORITY).materialised


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
            line = Observation(day, "USD", "UZS", Decimal(f"42{offset}0.5"))
            store_observations(session, "cbu", day, [line], NOW, priority=PRIORITY)
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


def month_edge(rng: random.Random, low: date, high: date) -> date:
    """A day in [low, high]: often a month's first or last day, else any."""
    day = low + timedelta(days=rng.randint(0, (high - low).days))
    choice = rng.random()
    if choice < 0.3:
        return max(low, day.replace(day=1))
    if choice < 0.6:
        return min(high, (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1))
    return day


@pytest.mark.parametrize("seed", [4])
def test_group_month_from_the_stored_months_is_the_slow_paths_byte_for_byte(app: Flask, session: Session,
                                                                             seed: int) -> None:
    rng = random.Random(seed)
    random_history(session, rng, days=150)  # out of order, held back and released, refused jumps
    client = app.test_client()
    for round_ in range(8):
        if round_ == 4:  # a new priority: rate_served and its months recomputed whole
            put(session, "nbk", FIRST + timedelta(days=100), {"KZT": "451.5"}, priority=PRIORITY[::-1])
            put(session, "nbk", FIRST + timedelta(days=100), {"KZT": "451.5"})  # and back
        start = month_edge(rng, FIRST - timedelta(days=20), FIRST + timedelta(days=120))
        end = month_edge(rng, start, FIRST + timedelta(days=170))
        pairs = tuple(rng.sample(CURRENCIES, rng.randint(1, 5)))
        names = ",".join(f"{c}/USD" for c in pairs)
        for fmt, render, layout in (("csv", render_csv, "long"), ("csv", render_csv, "wide"),
                                    ("json", render_json, "long"), ("ndjson", render_ndjson, "long")):
            monthly = replace(query(start, end, pairs), group="month", layout=layout)
            slow = group_rows(select_series(session, monthly, BY_PRIORITY), monthly.pairs, "month")
            expected = "".join(render(slow, monthly))
            assert "".join(render(usd_period_rows(session, monthly), monthly)) == expected, (fmt, start, end)
            wide = "&layout=wide" if layout == "wide" else ""
            answer = client.get(f"/rates.{fmt}?from={start}&to={end}&pairs={names}&group=month{wide}")
            assert answer.status_code == 200 and answer.text == expected, (fmt, start, end, layout)
    assert_columns_right(session)


def test_a_day_inserted_mid_month_changes_only_its_months_row(session: Session) -> None:
    put(session, "nbk", date(2024, 1, 31), {"KZT": "500"})
    put(session, "nbk", date(2024, 2, 1), {"KZT": "400"})
    put(session, "nbk", date(2024, 2, 29), {"KZT": "401"})
    january = stored_months(session)[("KZT", date(2024, 1, 1))]
    put(session, "currency-api", date(2024, 2, 15), {"KZT": "450"})  # into the middle of February
    months = stored_months(session)
    assert months[("KZT", date(2024, 1, 1))] == january
    assert months[("KZT", date(2024, 2, 1))][1:] == (3, 6, "0.002493765586034912718204488778054862842893",
                                                       "nbk;currency-api")
    assert_columns_right(session)


def test_the_stored_months_serve_only_whole_months(app: Flask, session: Session) -> None:
    put(session, "nbk", date(2024, 1, 31), {"KZT": "500"})
    put(session, "nbk", date(2024, 2, 10), {"KZT": "400"})
    put(session, "nbk", date(2024, 3, 1), {"KZT": "450"})
    session.execute(update(RateServedMonth).values(sources="marker"))
    session.commit()
    url = "/rates.csv?pairs=KZT/USD&group=month"
    assert "marker" in app.test_client().get(f"{url}&from=2024-01-01&to=2024-03-31").text  # read, not summed
    partial = app.test_client().get(f"{url}&from=2024-01-02&to=2024-03-30").text
    assert partial.count("marker") == 1  # February is whole; January and March are summed from their days
