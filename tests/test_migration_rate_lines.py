"""Migration 0016 (rate_lines) on a database filled through revision 0015: every observation, anomaly and
answered day is kept as it was, and ``feedsvc db upgrade`` fills the stored lines of every published
pair, which /rates.csv then serves exactly as the general path computes them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session
from test_migration_rate_tables import old_url  # noqa: F401 (a fixture)
from test_migrations import _upgrade_to, insert_observations

import config
from feedsvc import create_app
from feedsvc.core.db import make_engine
from feedsvc.rates.pair import Pair
from feedsvc.rates.read.formats import render_csv
from feedsvc.rates.read.pairs import select_pairs
from feedsvc.rates.read.params import RateQuery
from feedsvc.rates.served.pairs import plan_of

FIRST = date(2026, 3, 2)  # a Monday
DAYS = 21
PRIORITY = ("nbkr", "nbk", "currency-api")
SNAPSHOTS = {
    "observations": "SELECT id, source, date, currency, quote, nominal, value, fetch_id "
                    "FROM rate_observations ORDER BY id",
    "anomalies": "SELECT id, source, date, currency, quote, value, reason, status FROM rate_anomalies "
                 "ORDER BY id",
    "days": "SELECT source, date, status FROM rate_source_days ORDER BY source, date",
    "spans": "SELECT source, currency, quote, nominal, first_date, last_date, days FROM rate_line_spans "
             "ORDER BY source, currency, quote, nominal",
}


def _fill_0015(url: str) -> None:
    """Whole tables (NBK's and NBKR's) on weekdays, currency-api every day, one value held back."""
    rows = []
    for offset in range(DAYS):
        when = FIRST + timedelta(days=offset)
        for code, value in (("KGS", "87.4"), ("KZT", "471.2"), ("RUB", "92.1")):
            rows.append(("currency-api", when, "USD", code, 1, f"{value}{offset}"))
        if when.weekday() < 5:
            for code, value in (("USD", "470.5"), ("RUB", "5.1"), ("KGS", "5.38"), ("UZS", "3.94")):
                rows.append(("nbk", when, code, "KZT", 100 if code == "UZS" else 1, f"{value}{offset % 7}"))
            for code, value in (("USD", "87.45"), ("RUB", "0.951"), ("KZT", "0.1859")):
                rows.append(("nbkr", when, code, "KGS", 1, f"{value}{offset % 5}"))
    engine = make_engine(url)
    with engine.begin() as connection:
        _upgrade_to(connection, "0015")
        insert_observations(connection, rows, "2026-04-20 06:00:00")
        connection.execute(text(
            "INSERT INTO rate_anomalies (source, date, currency, quote, nominal, value, reason, status, "
            "recorded_at) VALUES ('nbkr', '2026-03-04', 'RUB', 'KGS', 1, '0.9512', 'jump', 'refused', "
            "'2026-03-04 06:00:00')"))
        connection.execute(text(  # as every upsert of revision 0015 keeps them
            "INSERT INTO rate_line_spans (source, currency, quote, nominal, first_date, last_date, days) "
            "SELECT source, currency, quote, nominal, min(date), max(date), count(*) "
            "FROM rate_observations GROUP BY source, currency, quote, nominal"))
        connection.execute(text(
            "INSERT INTO rate_source_days (source, date, status, checked_at) "
            "VALUES ('nbk', '2026-03-02', 'ok', '2026-03-02 06:00:00')"))
    engine.dispose()


def _snapshot(url: str) -> dict[str, list]:
    engine = make_engine(url)
    with engine.connect() as connection:
        taken = {name: [tuple(map(str, row)) for row in connection.execute(text(sql))]
                 for name, sql in SNAPSHOTS.items()}
    engine.dispose()
    return taken


def test_0016_keeps_everything_and_upgrade_fills_the_stored_lines(old_url: str) -> None:  # noqa: F811
    _fill_0015(old_url)
    before = _snapshot(old_url)
    app = create_app(config.TestConfig(DATABASE_URL=old_url, RATES_SOURCES=PRIORITY))
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert _snapshot(old_url) == before
        last = FIRST + timedelta(days=DAYS - 1)
        pairs = (Pair("RUB", "KGS"), Pair("KZT", "KGS"), Pair("UZS", "KZT"), Pair("KGS", "RUB"))
        query = RateQuery(pairs, FIRST, last)
        with Session(app.extensions["feedsvc.engine"]) as session:
            lines = session.scalar(text("SELECT count(*) FROM rate_lines"))
            general = "".join(render_csv(select_pairs(session, query, plan_of(None, PRIORITY)), query))
        assert lines > 0
        served = app.test_client().get(f"/rates.csv?pairs={','.join(map(str, pairs))}&from={FIRST}&to={last}")
        assert served.status_code == 200
        assert served.get_data(as_text=True) == general
        assert ",nbkr\r\n" in general and ",currency-api\r\n" in general  # weekends through the served values
        # A second upgrade finds them computed with this version, format and priority: nothing is redone.
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        with Session(app.extensions["feedsvc.engine"]) as session:
            assert session.scalar(text("SELECT count(*) FROM rate_lines")) == lines
    finally:
        app.extensions["feedsvc.engine"].dispose()
