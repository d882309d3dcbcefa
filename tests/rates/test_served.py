"""The served series materialised on write: rate_served follows priority, corrections, hold-backs, a new
priority; a read is a bounded number of queries however long the range."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from feedsvc.core.changes import read_marker
from feedsvc.core.models import RateAnomaly, RateObservation, RateServed, RateServedPriority
from feedsvc.rates import exact
from feedsvc.rates.constants import HELD_BACK
from feedsvc.rates.ingest.store import batch, store_observations
from feedsvc.rates.served import ensure_served, recompute_all
from feedsvc.rates.sources.base import Observation

NOW = datetime(2026, 4, 2, 6, tzinfo=UTC)
DAY = date(2026, 4, 1)
PRIORITY = ("nbk", "peg", "currency-api")


def store(session: Session, source: str, currency: str, value: str, priority: tuple[str, ...] = PRIORITY,
          day: date = DAY) -> None:
    store_observations(session, source, day, [Observation(day, currency, Decimal(value))], NOW,
                       priority=priority)
    session.commit()


def served(session: Session) -> dict[tuple[date, str], tuple[str, Decimal]]:
    return {(r.date, r.currency): (r.source, r.units_per_usd) for r in session.scalars(select(RateServed))}


def expected(session: Session, priority: tuple[str, ...]) -> dict[tuple[date, str], tuple[str, Decimal]]:
    """What the read side used to resolve per request: first source by priority, held-back skipped."""
    held = {(a.source, a.date, a.currency, a.value) for a in session.scalars(
        select(RateAnomaly).where(RateAnomaly.status.in_(["held", "refused"])))}
    best: dict[tuple[date, str], tuple[int, str, Decimal]] = {}
    for obs in session.scalars(select(RateObservation)):
        if obs.source in priority and (obs.source, obs.date, obs.currency, obs.units_per_usd) not in held:
            rank = priority.index(obs.source)
            key = (obs.date, obs.currency)
            if key not in best or rank < best[key][0]:
                best[key] = (rank, obs.source, obs.units_per_usd)
    return {key: (source, value) for key, (_, source, value) in best.items()}


def test_ingest_and_corrections_keep_the_served_table_by_priority(app: Flask) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        store(session, "currency-api", "KZT", "470.1")
        assert served(session) == {(DAY, "KZT"): ("currency-api", Decimal("470.1"))}
        store(session, "nbk", "KZT", "471.20")  # a higher-priority source arrives second
        assert served(session) == {(DAY, "KZT"): ("nbk", Decimal("471.20"))}
        store(session, "nbk", "KZT", "471.25")  # an upstream correction
        store(session, "currency-api", "KZT", "470.2")  # a correction of the lower one changes nothing served
        assert served(session) == {(DAY, "KZT"): ("nbk", Decimal("471.25"))} == expected(session, PRIORITY)
        assert str(served(session)[(DAY, "KZT")][1]) == "471.25"  # exact, trailing digits kept


def test_hold_back_and_release_change_the_served_value(app: Flask) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        store(session, "nbk", "KZT", "471.20")
        store(session, "currency-api", "KZT", "412.73")  # arrives second: NBK is 14 % off, held back
        assert served(session) == {(DAY, "KZT"): ("currency-api", Decimal("412.73"))}
        store(session, "currency-api", "KZT", "470.50")  # corrected upstream: agreement, NBK released
        assert served(session) == {(DAY, "KZT"): ("nbk", Decimal("471.20"))} == expected(session, PRIORITY)


def test_a_day_whose_only_value_is_held_back_has_no_served_row(app: Flask) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        store(session, "currency-api", "KZT", "412.73", priority=("nbk",))
        store(session, "nbk", "KZT", "471.20", priority=("nbk",))  # held back; currency-api not enabled
        assert session.scalars(select(RateAnomaly.reason)).all() == [HELD_BACK]
        assert served(session) == {}


def test_a_new_priority_recomputes_the_table_at_the_next_write(app: Flask) -> None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        store(session, "currency-api", "TMT", "3.4965")
        store(session, "peg", "TMT", "3.5")
        store(session, "currency-api", "TMT", "3.4965", day=DAY + timedelta(days=1))
        assert served(session)[(DAY, "TMT")] == ("peg", Decimal("3.5"))
        revision = read_marker("rates", session).revision
        reordered = ("currency-api", "peg")
        store(session, "nbk", "KZT", "471.20", priority=reordered)  # nbk disabled: stored, not served
        assert served(session) == expected(session, reordered)
        assert served(session)[(DAY, "TMT")] == ("currency-api", Decimal("3.4965"))
        assert (DAY, "KZT") not in served(session)
        assert session.get(RateServedPriority, 1).sources == "currency-api,peg"
        assert read_marker("rates", session).revision > revision
        assert ensure_served(session, reordered, NOW) is False  # already computed with it


def test_db_upgrade_recomputes_for_a_changed_priority_and_serves_the_new_order(app_factory) -> None:
    first = app_factory(RATES_SOURCES=("peg", "currency-api"))
    with Session(first.extensions["feedsvc.engine"]) as session:
        for source, value in (("currency-api", "3.4965"), ("peg", "3.5")):
            store(session, source, "TMT", value, priority=("peg", "currency-api"))
    url = "/rates.csv?pairs=USD/TMT&from=2026-04-01&to=2026-04-01"
    assert list(csv.DictReader(io.StringIO(first.test_client().get(url).text)))[0]["source"] == "peg"
    second = app_factory(RATES_SOURCES=("currency-api", "peg"))
    result = second.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(second.test_client().get(url).text)))
    assert [(r["rate"], r["source"]) for r in rows] == [("3.49650", "currency-api")]  # six digits at least


def _fill_years(app: Flask, years: int) -> date:
    """Daily currency-api values of the five currencies over ``years``, materialised; the first day."""
    first = date(2025, 12, 31) - timedelta(days=365 * years + years // 4 - 1)
    rows = [{"source": "currency-api", "date": first + timedelta(days=i), "currency": currency,
             "units_per_usd": Decimal(base) + i % 97, "fetched_at": NOW}
            for i in range((date(2025, 12, 31) - first).days + 1)
            for currency, base in (("KZT", "450.12"), ("KGS", "87.47"), ("TJS", "10.91"), ("TMT", "3.5"),
                                   ("UZS", "12194.21"))]
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        session.execute(insert(RateObservation), rows)
        recompute_all(session, app.config["RATES_SOURCES"])
    return first


def _count_queries(app: Flask, url: str) -> tuple[int, int]:
    """(SQL statements, CSV lines) of one full download of ``url``."""
    statements: list[str] = []
    engine = app.extensions["feedsvc.engine"]

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        lines = app.test_client().get(url).text.count("\n")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements), lines


def test_a_read_takes_a_bounded_number_of_queries_however_long_the_range(app: Flask) -> None:
    first = _fill_years(app, 20)
    month, month_lines = _count_queries(app, "/rates.csv?from=2025-12-01&to=2025-12-31")
    # From the second day, so that both reach back for change_pct.
    years, years_lines = _count_queries(app, f"/rates.csv?from={first + timedelta(days=1)}&to=2025-12-31")
    assert (month_lines, years_lines) == (31 * 5 + 1, 36520 + 1)
    assert years == month <= 6, (years, month)
    latest, _ = _count_queries(app, "/rates/latest.json")
    assert latest <= 4


def test_a_batch_serves_what_day_by_day_ingest_serves_and_bumps_once(app: Flask) -> None:
    days = [DAY + timedelta(days=i) for i in range(6)]
    values = [("currency-api", "KZT", "470.{}"), ("nbk", "KZT", "471.2{}"),
              ("currency-api", "UZS", "12900.{}"), ("nbk", "KZT", "480.0{}")]  # the last corrects nbk
    with Session(app.extensions["feedsvc.engine"]) as session:
        ensure_served(session, PRIORITY, NOW)  # a first write would also record the priority
        session.commit()
        before = read_marker("rates", session).revision
        with batch(session, NOW, priority=PRIORITY):
            for i, day in enumerate(days):
                for source, currency, value in values:
                    observation = Observation(day, currency, Decimal(value.format(i)))
                    store_observations(session, source, day, [observation], NOW, priority=PRIORITY)
        session.commit()
        assert served(session) == expected(session, PRIORITY)
        assert len(served(session)) == 12 and served(session)[(days[2], "KZT")] == ("nbk", Decimal("480.02"))
        assert read_marker("rates", session).revision == before + 1


def test_a_release_that_changes_the_digits_re_renders_the_stored_lines_at_db_upgrade(app: Flask,
                                                                                        monkeypatch) -> None:
    priority = tuple(app.config["RATES_SOURCES"])  # so that only the format differs at the upgrade
    with Session(app.extensions["feedsvc.engine"]) as session:
        for day, value in ((DAY, "471.20"), (DAY + timedelta(days=1), "472.35")):
            store(session, "nbk", "KZT", value, priority=priority, day=day)
        rendered_with = session.get(RateServedPriority, 2).sources
    url = "/rates.csv?from=2026-04-01&to=2026-04-02"
    client = app.test_client()
    assert [row["rate"] for row in csv.DictReader(io.StringIO(client.get(url).text))] == [
        "0.00212224", "0.00211707"]
    monkeypatch.setattr(exact, "MIN_DIGITS", 8)  # what a release with eight digits at least would ship
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    stored = list(csv.DictReader(io.StringIO(client.get(url).text)))
    assert [row["rate"] for row in stored] == ["0.0021222411", "0.0021170742"]
    # The stored lines are what the general path renders with the new digits, row for row.
    live = client.get(url.replace(".csv", ".json")).get_json()["rates"]
    assert [row["rate"] for row in stored] == [row["rate"] for row in live]
    with Session(app.extensions["feedsvc.engine"]) as session:
        assert ensure_served(session, priority, NOW) is False  # rendered with this format already
        assert session.get(RateServedPriority, 2).sources == exact.format_version() != rendered_with
