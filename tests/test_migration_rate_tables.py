"""Migration 0011 (tables as published) on a database filled through the previous schema: every USD line
keeps its id, value, date and source, anomalies and decisions keep their ids, and ``feedsvc db upgrade``
ends with the default X/USD ``/rates.csv`` byte for byte what the old schema served."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, make_url, text
from test_migrations import _upgrade_to

import config
from feedsvc import create_app
from feedsvc.core.db import make_engine, normalise_url

CURRENCIES = ("KZT", "KGS", "TJS", "TMT", "UZS")  # TestConfig's tracked order: the default pairs
FIRST = date(2026, 3, 1)


@pytest.fixture
def old_url(db_name: str, database_urls: dict[str, str], tmp_path) -> Iterator[str]:
    """An empty database of the kind under test, apart from the suite's own."""
    if db_name == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    base = make_url(database_urls["postgresql"])
    name = f"{base.database}_upgrade"
    admin = create_engine(normalise_url(database_urls["postgresql"]), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _value(source: str, currency: str, day: int) -> str:
    """A value as each source publishes it: banks with their own decimals, currency-api with many."""
    base = {"KZT": 478, "KGS": 87, "TJS": 9, "TMT": 3, "UZS": 12194}[currency]
    if source == "currency-api":
        return f"{base}.{(day * 7919 + len(currency)) % 10**8:08d}"
    return f"{base}.{(day * 37) % 100:02d}"


def _fill_old(url: str) -> None:
    """Observations and anomalies written through revision 0001's schema, then migrated to 0007."""
    engine = make_engine(url)
    rows = []
    for day in range(40):
        when = FIRST + timedelta(days=day)
        if day in range(12, 22):  # ten days without any value: a change across the gap is empty
            continue
        for currency in CURRENCIES:
            rows.append(("currency-api", when, currency, _value("currency-api", currency, day)))
        if when.weekday() < 5:
            for source, currency in (("nbk", "KZT"), ("nbkr", "KGS"), ("cbu", "UZS")):
                rows.append((source, when, currency, _value(source, currency, day)))
        rows.append(("peg", when, "TMT", "3.5"))
    with engine.begin() as connection:
        _upgrade_to(connection, "0001")
        connection.execute(text(
            "INSERT INTO rate_observations (source, date, currency, units_per_usd, fetched_at) "
            "VALUES (:source, :day, :currency, :value, '2026-04-20 06:00:00')"),
            [{"source": s, "day": d, "currency": c, "value": v} for s, d, c, v in rows])
        # nbk's value of the 3rd held back (currency-api disagrees), cbu's of the 4th refused as a jump.
        connection.execute(text(
            "INSERT INTO rate_anomalies (source, date, currency, value, reason, reference_source, "
            "reference_value, recorded_at) VALUES "
            "('nbk', '2026-03-03', 'KZT', :nbk, 'disagree', 'currency-api', '470.1', '2026-03-03 06:00:00'), "
            "('cbu', '2026-03-04', 'UZS', '24388.00', 'jump', 'cbu', '12194.1', '2026-03-04 06:00:00')"),
            {"nbk": _value("nbk", "KZT", 2)})
    with engine.begin() as connection:
        _upgrade_to(connection, "0007")
        connection.execute(text(  # a decision by hand, kept as it is
            "UPDATE rate_anomalies SET status = 'refused', decided_by = 'auditor', note = 'refused by hand', "
            "decided_at = '2026-03-05 09:00:00' WHERE source = 'cbu'"))
    engine.dispose()


def _snapshot(url: str, observations: str, anomalies: str) -> tuple[list, list, str]:
    """The stored lines, the anomalies, and the long CSV the stored lines make."""
    engine = make_engine(url)
    order = " ".join(f"WHEN '{currency}' THEN {i}" for i, currency in enumerate(CURRENCIES))
    with engine.connect() as connection:
        rows = [tuple(map(str, row)) for row in connection.execute(text(observations))]
        decided = [tuple(map(str, row)) for row in connection.execute(text(anomalies))]
        lines = connection.execute(text(
            f"SELECT usd_csv FROM rate_served ORDER BY date, CASE currency {order} END")).scalars().all()  # noqa: S608
    engine.dispose()
    return rows, decided, "date,pair,rate,change_pct,source\r\n" + "".join(lines)


def test_0011_keeps_every_line_and_decision_and_the_served_csv_byte_for_byte(old_url: str) -> None:
    _fill_old(old_url)
    old_rows, old_anomalies, old_csv = _snapshot(
        old_url, "SELECT id, source, date, currency, units_per_usd FROM rate_observations ORDER BY id",
        "SELECT id, source, date, currency, value, reason, status, decided_by FROM rate_anomalies "
        "ORDER BY id")
    assert old_csv.count("\r\n") == 1 + 30 * 5 and ",nbk\r\n" in old_csv and ",peg\r\n" in old_csv
    app = create_app(config.TestConfig(DATABASE_URL=old_url))
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        new_rows, new_anomalies, _lines = _snapshot(
            old_url,
            "SELECT id, source, date, quote, value, currency, nominal FROM rate_observations ORDER BY id",
            "SELECT id, source, date, quote, value, reason, status, decided_by, currency FROM rate_anomalies "
            "ORDER BY id")
        # The same id, source, date and value; what was "currency per USD" is the USD line in that currency.
        assert new_rows == [(*row, "USD", "1") for row in old_rows]
        assert new_anomalies == [(*row, "USD") for row in old_anomalies]
        served = app.test_client().get(f"/rates.csv?from={FIRST}&to={FIRST + timedelta(days=39)}")
        assert served.status_code == 200
        assert served.data == old_csv.encode()
    finally:
        app.extensions["feedsvc.engine"].dispose()
    rates = list(csv.DictReader(io.StringIO(old_csv)))
    assert {row["source"] for row in rates} == {"nbk", "nbkr", "cbu", "peg", "currency-api"}
    held = [row for row in rates if row["date"] == "2026-03-03" and row["pair"] == "KZT/USD"]
    assert held[0]["source"] == "currency-api"  # nbk's held-back value was not served, and still is not
