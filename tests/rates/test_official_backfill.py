"""``feedsvc rates backfill --source NAME`` for every source through the mirror; resume after an interrupt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.db import get_session
from feedsvc.core.models import RateObservation, RateRun, RateSourceDay
from feedsvc.rates.ingest import jobs

ALL = ("nbk", "nbkr", "nbt", "cbu", "cbt", "peg", "currency-api")
# source: (recorded file or None, the day it answers, the range to backfill, the values stored)
CASES = {
    "nbk": ("nbk/get_rates_fdate_01.04.2026.xml", date(2026, 4, 1), [(date(2026, 4, 1), "KZT", "478.77")]),
    "nbt": ("nbt/export_xml_2026-05-18.xml", date(2026, 5, 18), [(date(2026, 5, 18), "TJS", "9.3450")]),
    "cbu": ("cbu/json_all_2026-04-01.json", date(2026, 4, 1), [(date(2026, 4, 1), "UZS", "12194.21")]),
    "cbt": ("cbt/kurs_2026_20052026.xml", date(2026, 5, 20), [(date(2026, 5, 20), "TMT", "3.5")]),
    "currency-api": ("currency-api/2025-12-25.usd.json", date(2025, 12, 25), [
        (date(2025, 12, 25), code, value) for code, value in
        [("KGS", "87.45917813"), ("KZT", "513.72289445"), ("TJS", "9.2543194"), ("TMT", "3.49990806"),
         ("UZS", "12074.40038822")]]),
    "peg": (None, date(2025, 12, 25), [(date(2025, 12, d), "TMT", "3.5") for d in (24, 25)]),
}


def serve_day(mirror, name: str, day: date, body: bytes) -> None:
    url = urlsplit(mirror.template(name).format(date=day))
    mirror.server.expect_request(url.path, query_string=url.query or None).respond_with_data(body)


def stored(app: Flask, source: str) -> list[tuple[date, str, str]]:
    query = select(RateObservation).where(RateObservation.source == source)
    with Session(app.extensions["feedsvc.engine"]) as session:
        rows = session.scalars(query.order_by(RateObservation.date, RateObservation.currency))
        return [(row.date, row.currency, str(row.units_per_usd)) for row in rows]


def backfill(app: Flask, name: str, start: date, end: date) -> str:
    args = ["rates", "backfill", "--source", name, "--from", f"{start}", "--to", f"{end}"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def bank_app(app_factory, mirror, fast_http) -> Callable[..., Flask]:
    return lambda **more: app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=ALL, **{**fast_http, **more})


@pytest.mark.parametrize("name", sorted(CASES))
def test_backfill_stores_exactly_the_sources_values(bank_app, mirror, upstream_bytes, name) -> None:
    file, day, expected = CASES[name]
    if file:
        serve_day(mirror, name, day, upstream_bytes(file))
    mirror.answer_404_elsewhere()
    app = bank_app()
    output = backfill(app, name, day - timedelta(days=1), day)
    assert f"{name}: 0 of 2 days done" in output  # the progress bar's label
    assert f"{name}: {len(expected)} rows written, 2 days checked" in output
    assert stored(app, name) == [(d, c, v) for d, c, v in expected]
    asked = len(mirror.requested())
    again = backfill(app, name, day - timedelta(days=1), day)
    assert f"{name}: 2 of 2 days done" in again and "0 rows written, 0 days checked" in again
    assert len(mirror.requested()) == asked  # both days answered (a value, or a 404): not asked again


def test_nbkr_backfill_reads_its_history_page_and_a_404_chunk_is_no_data(bank_app, mirror,
                                                                        upstream_bytes) -> None:
    start, end = date(2005, 6, 1), date(2005, 6, 30)
    url = urlsplit(mirror.template("nbkr-history").format(start=start, end=end))
    page = upstream_bytes("nbkr/history_usd_2005-06_fragment.html")
    mirror.server.expect_request(url.path, query_string=url.query).respond_with_data(page)
    mirror.answer_404_elsewhere()
    app = bank_app()
    assert "nbkr: 4 rows written, 30 days checked" in backfill(app, "nbkr", start, end)
    assert stored(app, "nbkr")[-1] == (date(2005, 6, 25), "KGS", "40.9614")
    july = backfill(app, "nbkr", date(2005, 7, 1), date(2005, 7, 31))  # the server answers 404
    assert "nbkr: 0 rows written, 31 days checked" in july
    with Session(app.extensions["feedsvc.engine"]) as session:
        none = session.scalars(select(RateSourceDay).where(RateSourceDay.status == "none")).all()
    assert len([row for row in none if row.date.month == 7]) == 31


class Interrupted(BaseException):
    """Ctrl-C in the middle of a backfill."""


def test_an_interrupted_bank_backfill_resumes_where_it_stopped(bank_app, mirror, upstream_bytes) -> None:
    real = upstream_bytes("nbt/export_xml_2026-05-18.xml")
    days = [date(2026, 5, 16), date(2026, 5, 17), date(2026, 5, 18)]
    for day in days:
        serve_day(mirror, "nbt", day, real.replace(b'Date="2026-05-18"', f'Date="{day}"'.encode()))
    app = bank_app()

    def stop_after_first(day: date) -> None:
        raise Interrupted(day)

    with app.app_context(), pytest.raises(Interrupted):
        jobs.backfill("nbt", days[0], days[-1], on_day=stop_after_first)
    assert [row[0] for row in stored(app, "nbt")] == days[:1]
    with app.app_context():
        run = get_session().scalars(select(RateRun).where(RateRun.source == "nbt")).one()
        assert (run.error, run.rows_written, run.finished_at is not None) == ("interrupted", 1, True)
    assert "nbt: 2 rows written, 2 days checked" in backfill(app, "nbt", days[0], days[-1])
    assert stored(app, "nbt") == [(day, "TJS", "9.3450") for day in days]
    paths = [f"{request.path}?{request.query_string.decode()}" for request, _ in mirror.server.log]
    assert len(paths) == len(set(paths)) == 3  # the finished day was not asked again
