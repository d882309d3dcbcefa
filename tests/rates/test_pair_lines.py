"""Every published pair's stored lines (rate_lines) are the general path's rows, byte for byte, in every
scope; kept so by every write (a new day, a correction in the middle, a hold-back decided by hand, a
batch); /rates.csv reads them; a new priority computes them again.

The history is generated (two years: weekday bank tables with holidays, NBT repeating Friday's table on
weekends, currency-api every day, so weekend crosses go through the served values, and values held back),
and the banks' recorded payloads are replayed by a local server, as in test_any_pair.py.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from test_any_pair import DAY, FRIDAY, OFFICIAL, official  # noqa: F401 (a fixture)

from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import RATES_SCOPE
from feedsvc.core.models import RateAnomaly, RateLine, RateLinePair, RateObservation, RateServedPriority
from feedsvc.rates.constants import HELD, HELD_BACK, REFUSED, USD
from feedsvc.rates.ingest.store import batch, decide_by_hand, store_observations
from feedsvc.rates.pair import Pair
from feedsvc.rates.read.formats import render_csv
from feedsvc.rates.read.materialised import kept_pairs, stream_pair_csv
from feedsvc.rates.read.pairs import select_pairs
from feedsvc.rates.read.params import RateQuery
from feedsvc.rates.served import recompute_all, refresh_pending
from feedsvc.rates.served.pair_lines import LINES_ROW, lines_version, rebuild_lines, scopes
from feedsvc.rates.served.pairs import plan_of
from feedsvc.rates.sources.base import Observation

PRIORITY = ("nbkr", "nbk", "nbt", "currency-api")
FIRST, LAST = date(2024, 1, 1), date(2025, 12, 31)
NOW = datetime(2026, 1, 5, tzinfo=UTC)
# Each bank's table: its currency, and the lines it publishes (code, nominal, units of its currency).
TABLES = {
    "nbkr": ("KGS", {"USD": (1, "87.45"), "EUR": (1, "95.1"), "RUB": (1, "0.9512"), "KZT": (1, "0.1859")}),
    "nbk": ("KZT", {"USD": (1, "470.5"), "EUR": (1, "512.3"), "RUB": (1, "5.12"), "KGS": (1, "5.38"),
                    "UZS": (100, "3.94"), "CNY": (1, "65.2")}),
    "nbt": ("TJS", {"USD": (1, "10.9"), "RUB": (1, "0.1175"), "EUR": (1, "11.9"), "KZT": (1, "0.0232")}),
}
CURRENCY_API = {"KGS": "87.5", "KZT": "470.9", "TJS": "10.91", "RUB": "92.6", "EUR": "0.921"}


def generated_rows(seed: int = 21) -> Iterator[dict[str, object]]:
    """Two years of tables as the sources publish them (values move a little each day)."""
    rng = random.Random(seed)
    day, friday = FIRST, {}
    while day <= LAST:
        move = Decimal(rng.randint(-300, 300)) / 100000 + 1
        for code, value in CURRENCY_API.items():
            yield _line("currency-api", day, USD, code, 1, Decimal(value) * move)
        for source, (home, lines) in TABLES.items():
            if day.weekday() < 5 and rng.random() > 0.08:  # holidays: no table
                table = {code: (nominal, (Decimal(value) * move).quantize(Decimal(value)))
                         for code, (nominal, value) in lines.items()}
                if source == "nbt" and day.weekday() == 4:
                    friday = table
                yield from (_line(source, day, code, home, n, v) for code, (n, v) in table.items())
            elif source == "nbt" and day.weekday() >= 5 and friday:
                # NBT repeats Friday's table on weekends; now and then a Saturday of its own.
                table = friday if rng.random() > 0.1 else {c: (n, v + Decimal("0.0001"))
                                                           for c, (n, v) in friday.items()}
                yield from (_line(source, day, code, home, n, v) for code, (n, v) in table.items())
        day += timedelta(days=1)


def _line(source: str, day: date, currency: str, quote: str, nominal: int,
          value: Decimal) -> dict[str, object]:
    return {"source": source, "date": day, "currency": currency, "quote": quote, "nominal": nominal,
            "value": value, "fetched_at": NOW}


def hold_back_some(session: Session, seed: int = 22) -> None:
    """Held-back and refused values here and there: the next source by priority, or a cross, serves."""
    rng = random.Random(seed)
    rows = session.execute(select(RateObservation).where(RateObservation.source != "currency-api")).scalars()
    for obs in rows:
        if rng.random() < 0.01:
            session.add(RateAnomaly(source=obs.source, date=obs.date, currency=obs.currency, quote=obs.quote,
                                    nominal=obs.nominal, value=obs.value, reason=HELD_BACK,
                                    status=rng.choice((HELD, REFUSED)), recorded_at=NOW))


def general_csv(session: Session, scope: str, pairs: tuple[Pair, ...], first: date, last: date,
                priority: tuple[str, ...]) -> str:
    """The general path's long CSV: every row resolved and numbered on the fly."""
    query = RateQuery(pairs, first, last, source=scope or None)
    return "".join(render_csv(select_pairs(session, query, plan_of(scope or None, priority)), query))


def stored_csv(session: Session, scope: str, pairs: tuple[Pair, ...], first: date, last: date) -> str:
    return "".join(stream_pair_csv(session, RateQuery(pairs, first, last), scope))


def assert_stored_is_general(session: Session, priority: tuple[str, ...], first: date = FIRST,
                             last: date = LAST, windows: int = 3) -> None:
    """In every scope, every kept pair's stored CSV is the general path's, over the whole range and a few
    windows that start anywhere (a row's change never depends on where a range starts)."""
    rng = random.Random(first.toordinal())
    for scope in scopes(priority):
        pairs = tuple(sorted(kept_pairs(session, scope), key=str))
        if not pairs:  # a source that stored nothing
            continue
        ranges = [(first, last)]
        for _ in range(windows):
            start = first + timedelta(days=rng.randrange((last - first).days))
            ranges.append((start, min(last, start + timedelta(days=rng.randrange(3, 60)))))
        for start, end in ranges:
            general = general_csv(session, scope, pairs, start, end, priority)
            assert general.count("\n") > 1 or (start, end) != (first, last), scope
            assert stored_csv(session, scope, pairs, start, end) == general, (scope, start, end)


def stored_rows(session: Session) -> list[tuple]:
    return [tuple(row) for row in session.execute(select(RateLine.__table__).order_by(
        RateLine.scope, RateLine.base, RateLine.quote, RateLine.date))]


def assert_same_as_rebuilt(session: Session, priority: tuple[str, ...]) -> None:
    """The lines kept on write are what computing them whole gives, every column."""
    kept = stored_rows(session)
    rebuild_lines(session, priority)
    assert stored_rows(session) == kept


@pytest.fixture
def app(app_factory) -> Flask:
    """The app serving the generated sources by PRIORITY."""
    return app_factory(RATES_SOURCES=PRIORITY)


@pytest.fixture
def history(app: Flask) -> Iterator[Session]:
    """A session on two generated years, served and stored with PRIORITY."""
    with Session(app.extensions["feedsvc.engine"]) as session:
        rows = list(generated_rows())
        for start in range(0, len(rows), 5000):
            session.execute(insert(RateObservation), rows[start:start + 5000])
        hold_back_some(session)
        recompute_all(session, PRIORITY)
        session.commit()
        yield session


def test_every_kept_pair_is_the_general_path_byte_for_byte(history: Session) -> None:
    scope_pairs = {scope: set(kept_pairs(history, scope)) for scope in scopes(PRIORITY)}
    assert Pair("RUB", "KGS") in scope_pairs[""] and Pair("KGS", "RUB") in scope_pairs[""]
    assert Pair("KGS", "USD") not in scope_pairs[""]  # rate_served's own line
    assert Pair("USD", "KZT") in scope_pairs["nbk"] and Pair("KZT", "USD") in scope_pairs["nbk"]
    assert Pair("EUR", "USD") in scope_pairs["currency-api"]
    assert_stored_is_general(history, PRIORITY, windows=6)
    # The weekend rows are there: NBT's repeats, and RUB/KGS through the served values.
    sunday = date(2025, 6, 8)
    line = history.get(RateLine, ("", "RUB", "KGS", sunday))
    assert line is not None and line.source == "currency-api"
    assert history.get(RateLine, ("nbt", "RUB", "TJS", sunday)) is not None


def test_writes_keep_the_lines_in_step(history: Session) -> None:
    # A new day at the end, as the daily update writes it.
    day = LAST + timedelta(days=1)
    for source, (home, lines) in TABLES.items():
        table = [Observation(day, code, home, Decimal(value), nominal)
                 for code, (nominal, value) in lines.items()]
        store_observations(history, source, day, table, NOW, priority=PRIORITY)
    store_observations(history, "currency-api", day,
                       [Observation(day, USD, code, Decimal(value)) for code, value in CURRENCY_API.items()],
                       NOW, priority=PRIORITY)
    # A correction in the middle: NBT's Friday moves, so its weekend repeats are repeats no more.
    friday = date(2025, 3, 7)
    stored = history.scalars(select(RateObservation).filter_by(source="nbt", date=friday)).all()
    assert stored, "a Friday with NBT's table"
    corrected = [Observation(friday, obs.currency, obs.quote, obs.value + Decimal("0.0002"), obs.nominal)
                 for obs in stored]
    store_observations(history, "nbt", friday, corrected, NOW, priority=PRIORITY)
    # A value refused by hand: the next path serves that day and the next rows compare with it.
    wednesday = date(2025, 3, 12)
    decide_by_hand(history, "nbkr", wednesday, "RUB/KGS", "refuse", "test", NOW, priority=PRIORITY)
    # A batch of days backfilled at once (their tables written again, one value corrected).
    with batch(history, NOW, PRIORITY):
        for offset in range(10):
            when = date(2024, 5, 6) + timedelta(days=offset)
            lines = history.scalars(select(RateObservation).filter_by(source="nbk", date=when)).all()
            table = [Observation(when, obs.currency, obs.quote, obs.value + (Decimal("0.01") if offset == 3
                                 else 0), obs.nominal) for obs in lines]
            if table:
                store_observations(history, "nbk", when, table, NOW, priority=PRIORITY)
    # The writes above noted their days as waiting; the job refreshes them right after its commit.
    assert refresh_pending(history, PRIORITY) > 0
    assert_stored_is_general(history, PRIORITY, FIRST, day)
    for first, last in ((friday - timedelta(days=3), friday + timedelta(days=12)),
                        (date(2024, 5, 1), date(2024, 5, 31))):
        assert_stored_is_general(history, PRIORITY, first, last, windows=0)
    assert_same_as_rebuilt(history, PRIORITY)


def test_a_new_priority_computes_the_default_scope_again(history: Session) -> None:
    reordered = ("nbk", "nbkr", "nbt", "currency-api")
    recompute_all(history, reordered)
    assert history.get(RateServedPriority, LINES_ROW).sources == lines_version(reordered)
    kzt_kgs = history.get(RateLine, ("", "KZT", "KGS", date(2025, 6, 4)))
    assert kzt_kgs is not None and kzt_kgs.source == "nbk"  # NBK's KGS line, inverted, comes first now
    assert_stored_is_general(history, reordered, windows=1)


def test_rates_csv_streams_the_stored_lines(app_factory, app: Flask, history: Session) -> None:
    query = "pairs=RUB/KGS,EUR/KZT&from=2025-06-01&to=2025-06-30"
    client = app.test_client()
    before = client.get(f"/rates.csv?{query}").get_data(as_text=True)
    general = general_csv(history, "", (Pair("RUB", "KGS"), Pair("EUR", "KZT")), date(2025, 6, 1),
                          date(2025, 6, 30), PRIORITY)
    assert before == general
    # A marker in one stored line shows in the answer: the route read the stored lines.
    line = (RateLine.scope == "", RateLine.base == "RUB", RateLine.quote == "KGS",
            RateLine.date == date(2025, 6, 2))
    history.execute(update(RateLine).where(*line).values(csv="marker\r\n"))
    bump_markers(history, [RATES_SCOPE], NOW)  # as every write does: cached answers are stale
    history.commit()
    assert "marker\r\n" in client.get(f"/rates.csv?{query}").get_data(as_text=True)
    # What the stored lines can't answer takes the general path: provenance, fill, a pair not kept.
    for other in ("&provenance=1", "&fill=previous", ",KGS/USD"):
        assert "marker" not in client.get(f"/rates.csv?{query}{other}").get_data(as_text=True)
    # A day written and not yet refreshed: the range around it takes the general path until the refresh.
    written = [Observation(date(2025, 6, 20), "EUR", "KZT", Decimal("512.99"))]
    store_observations(history, "nbk", date(2025, 6, 20), written, NOW, priority=PRIORITY)
    history.commit()
    waiting = client.get(f"/rates.csv?{query}").get_data(as_text=True)
    assert "marker" not in waiting and "2025-06-20,EUR/KZT,512.990" in waiting
    earlier = "pairs=RUB/KGS,EUR/KZT&from=2025-06-01&to=2025-06-10"  # before it: still the stored lines
    assert "marker" in client.get(f"/rates.csv?{earlier}").get_data(as_text=True)
    assert refresh_pending(history, PRIORITY) == 2  # the default scope and nbk's own
    bump_markers(history, [RATES_SCOPE], NOW)
    history.commit()
    refreshed = client.get(f"/rates.csv?{query}").get_data(as_text=True)
    assert "marker" in refreshed and "2025-06-20,EUR/KZT,512.990" in refreshed
    # Lines computed with another priority are never read (until `feedsvc db upgrade` computes them again).
    reordered = app_factory(RATES_SOURCES=("nbk", "nbkr", "nbt", "currency-api")).test_client()
    assert "marker" not in reordered.get(f"/rates.csv?{query}").get_data(as_text=True)


def test_recorded_tables_stored_lines_are_the_general_path(official) -> None:  # noqa: F811
    app = official()
    with Session(app.extensions["feedsvc.engine"]) as session:
        for scope in ("", "nbk", "nbkr", "nbkr-weekly", "nbt", "cbu", "cbt"):
            assert session.scalar(select(RateLinePair.base).where(RateLinePair.scope == scope).limit(1))
        assert_stored_is_general(session, OFFICIAL, DAY - timedelta(days=3), FRIDAY + timedelta(days=3),
                                 windows=2)
        for scope in scopes(OFFICIAL):  # and each pair alone, as most queries ask
            for pair in kept_pairs(session, scope):
                first, last = DAY, FRIDAY
                assert (stored_csv(session, scope, (pair,), first, last)
                        == general_csv(session, scope, (pair,), first, last, OFFICIAL)), (scope, pair)
