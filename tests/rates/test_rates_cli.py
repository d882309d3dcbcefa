"""``feedsvc rates update|backfill`` and the demo rates, through the real CLI."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateObservation, RateRun

SERVED = [date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26), date(2025, 12, 27), date(2025, 12, 28)]


LINES = 160  # each recorded currency-api payload of December 2025: one line per ISO 4217 currency


def count(app: Flask, source: str | None = None) -> int:
    query = select(func.count()).select_from(RateObservation)
    if source:
        query = query.where(RateObservation.source == source)
    with Session(app.extensions["feedsvc.engine"]) as session:
        return session.scalar(query)


@pytest.fixture
def cli_app(app_factory, mirror, upstream_bytes, fast_http) -> Flask:
    for day in SERVED:
        mirror.serve("currency-api", day, upstream_bytes(f"currency-api/{day}.usd.json"))
    mirror.answer_404_elsewhere()
    return app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("currency-api", "peg"), RATES_GAP_DAYS=3,
                       **fast_http)


def test_update_reports_each_source(cli_app: Flask) -> None:
    result = cli_app.test_cli_runner().invoke(args=["rates", "update", "--date", "2025-12-28"])
    assert result.exit_code == 0, result.output
    assert f"currency-api: {3 * LINES} rows written, 3 days checked" in result.output
    assert "peg: 3 rows written, 3 days checked" in result.output
    assert (count(cli_app, "currency-api"), count(cli_app, "peg")) == (3 * LINES, 3)


def test_update_one_source(cli_app: Flask) -> None:
    args = ["rates", "update", "--date", "2025-12-28", "--source", "peg"]
    result = cli_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "peg: 3 rows written, 3 days checked"
    assert (count(cli_app, "currency-api"), count(cli_app, "peg")) == (0, 3)


def test_update_refuses_a_source_that_is_not_enabled(cli_app: Flask) -> None:
    result = cli_app.test_cli_runner().invoke(args=["rates", "update", "--source", "nbk"])
    assert result.exit_code == 2
    assert "not enabled in FEEDSVC_RATES_SOURCES: nbk" in result.output


def test_update_exits_1_when_a_source_fails(app_factory, mirror, fast_http) -> None:
    mirror.server.expect_request(mirror.path("currency-api", date(2025, 12, 28))).respond_with_data("<html>")
    app = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("currency-api", "peg"), RATES_GAP_DAYS=1,
                      **fast_http)
    result = app.test_cli_runner().invoke(args=["rates", "update", "--date", "2025-12-28"])
    assert result.exit_code == 1
    assert "currency-api: failed after 0 rows: 2025-12-28: SourceError" in result.output
    assert "peg: 1 rows written" in result.output


def test_backfill_one_source_with_progress_and_resume(cli_app: Flask, mirror) -> None:
    runner = cli_app.test_cli_runner()
    args = ["rates", "backfill", "--from", "2025-12-20", "--to", "2025-12-28", "--source", "currency-api"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "currency-api: 0 of 9 days done" in result.output  # the progress bar's label
    assert f"currency-api: {5 * LINES} rows written, 9 days checked" in result.output
    assert (count(cli_app, "currency-api"), count(cli_app, "peg")) == (5 * LINES, 0)
    asked = len(mirror.requested())
    again = runner.invoke(args=args)
    assert "currency-api: 9 of 9 days done" in again.output
    assert "currency-api: 0 rows written, 0 days checked" in again.output
    assert len(mirror.requested()) == asked
    with Session(cli_app.extensions["feedsvc.engine"]) as session:
        assert [r.job for r in session.scalars(select(RateRun))] == ["backfill", "backfill"]


def test_backfill_every_enabled_source_by_default(cli_app: Flask) -> None:
    result = cli_app.test_cli_runner().invoke(args=["rates", "backfill", "--from", "2025-12-27", "--to",
                                                    "2025-12-28"])
    assert result.exit_code == 0, result.output
    assert (count(cli_app, "currency-api"), count(cli_app, "peg")) == (2 * LINES, 2)


@pytest.mark.parametrize(
    "args",
    [["--from", "2025-12-28", "--to", "2025-12-20"], ["--from", "28.12.2025", "--to", "2025-12-28"],
     ["--from", "2025-12-20", "--to", "2025-12-28", "--source", "nope"],
     ["--from", "2024-03-01", "--to", "2025-12-28", "--source", "currency-api"],
     ["--from", "0001-01-01", "--to", "2025-12-28"], ["--from", "2025-12-20", "--to", "9999-12-31"]],
    ids=["from after to", "bad date", "unknown source", "one source before its start", "year 1", "year 9999"],
)
def test_backfill_rejects_bad_arguments(cli_app: Flask, args: list[str]) -> None:
    result = cli_app.test_cli_runner().invoke(args=["rates", "backfill", *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert count(cli_app) == 0


@pytest.mark.parametrize("day", ["0001-01-05", "1899-12-31", "9999-12-31"])
def test_update_refuses_a_date_out_of_range(cli_app: Flask, day: str) -> None:
    result = cli_app.test_cli_runner().invoke(args=["rates", "update", "--date", day])
    assert result.exit_code == 2 and "1900-01-01 to 2100-12-31" in result.output
    assert count(cli_app) == 0
