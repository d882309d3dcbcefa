"""Deep history: ``feedsvc rates backfill`` from each source's documented start,
clamping, ``--plan``, resuming after an upstream gives up, and the progress bar with its ETA."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug import Request, Response

from feedsvc.core.db import new_session
from feedsvc.core.models import RateObservation, RateSourceDay
from feedsvc.rates.ingest import backfill_plan, jobs
from feedsvc.rates.sources import all_source_classes
from feedsvc.rates.sources.base import NoData
from feedsvc.rates.sources.nbt import NBT

ALL = ("nbk", "nbkr", "nbt", "cbu", "cbt", "peg", "currency-api")
DOCUMENTED = {"nbk": date(2000, 1, 1), "nbkr": date(1999, 1, 1), "nbt": date(2001, 1, 1),
              "cbu": date(1994, 7, 1), "cbt": date(2020, 1, 1), "peg": date(2015, 1, 1),
              "currency-api": date(2024, 3, 2)}
NBT_FILE = "nbt/export_xml_2026-05-18.xml"
NBK_FILE = "nbk/get_rates_fdate_01.04.2026.xml"


def nbt_file_for(real: bytes, day: date) -> bytes:
    """NBT's recorded file as the bank would answer it for ``day``."""
    return real.replace(b'Date="2026-05-18"', f'Date="{day}"'.encode())


def serve_nbt(mirror, day: date, real: bytes) -> None:
    """Answer NBT's URL for ``day`` (path and query) with its recorded file dated ``day``."""
    url = urlsplit(mirror.template("nbt").format(date=day))
    mirror.server.expect_request(url.path, query_string=url.query).respond_with_data(
        nbt_file_for(real, day), content_type="text/xml")


def stored(app: Flask, source: str) -> list[tuple[date, str]]:
    query = select(RateObservation).where(RateObservation.source == source).order_by(RateObservation.date)
    with Session(app.extensions["feedsvc.engine"]) as session:
        return [(row.date, str(row.units_per_usd)) for row in session.scalars(query)]


def asked(mirror, name: str) -> list[str]:
    """The query strings source ``name``'s path was asked with, in order."""
    path = urlsplit(mirror.template(name)).path
    return [request.query_string.decode() for request, _ in mirror.server.log if request.path == path]


def invoke(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["rates", "backfill", *args])


def plan_rows(output: str) -> dict[str, list[str]]:
    """``--plan``'s table by source: from, to, days, pending, requests, pause, estimate."""
    rows = {}
    for line in output.splitlines():
        cells = line.split(None, 7)
        if cells and cells[0] in ALL:
            rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture
def bank_app(app_factory, mirror, fast_http):
    return lambda **more: app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=ALL, **{**fast_http, **more})


def test_every_source_documents_its_history_start() -> None:
    assert {name: cls.history_start for name, cls in all_source_classes().items()} == DOCUMENTED


def test_banks_are_asked_politely_by_default() -> None:
    paces = {name: cls.min_interval for name, cls in all_source_classes().items()}
    assert paces == {"nbk": 1.0, "nbkr": 2.0, "nbt": 1.0, "cbu": 1.0, "cbt": 1.0, "peg": 0.0,
                     "currency-api": 0.5}


def test_without_from_a_backfill_starts_at_the_documented_start(bank_app, mirror, upstream_bytes) -> None:
    real = upstream_bytes(NBK_FILE)
    day = date(2000, 1, 3)
    url = urlsplit(mirror.template("nbk").format(date=day))
    mirror.server.expect_request(url.path, query_string=url.query).respond_with_data(
        real.replace(b"01.04.2026", b"03.01.2000"))
    mirror.answer_404_elsewhere()
    app = bank_app()
    result = invoke(app, "--source", "nbk", "--to", "2000-01-03")
    assert result.exit_code == 0, result.output
    assert "nbk: 0 of 3 days done" in result.output
    assert asked(mirror, "nbk") == ["fdate=01.01.2000", "fdate=02.01.2000", "fdate=03.01.2000"]
    assert stored(app, "nbk") == [(day, "478.77")]


def test_plan_defaults_to_each_documented_start_and_today(bank_app, mirror) -> None:
    result = invoke(bank_app(), "--plan")
    assert result.exit_code == 0, result.output
    today = datetime.now(UTC).date()
    rows = plan_rows(result.output)
    assert {name: (row[0], row[1]) for name, row in rows.items()} == {
        name: (f"{start}", f"{today}") for name, start in DOCUMENTED.items()}
    assert mirror.requested() == []  # a plan fetches nothing


def test_an_early_from_is_moved_to_each_sources_start_with_a_note(bank_app, mirror, upstream_bytes) -> None:
    real = upstream_bytes(NBT_FILE)
    serve_nbt(mirror, date(2001, 1, 1), real)
    mirror.answer_404_elsewhere()
    app = bank_app()
    result = invoke(app, "--source", "nbk", "--source", "nbt", "--source", "peg",
                    "--from", "2000-12-30", "--to", "2001-01-01")
    assert result.exit_code == 0, result.output
    assert "nbt: its history starts 2001-01-01, so it starts there (not 2000-12-30)" in result.output
    assert "peg: nothing to fetch, its history starts 2015-01-01 (after 2001-01-01)" in result.output
    assert "nbk: its history" not in result.output  # 2000-12-30 is within NBK's history
    assert asked(mirror, "nbt") == ["date=2001-01-01&export=xmlout"]
    assert len(asked(mirror, "nbk")) == 3
    assert stored(app, "nbt") == [(date(2001, 1, 1), "9.3450")]


def test_an_early_from_for_a_single_source_is_refused(bank_app, mirror) -> None:
    for args in (["--plan"], []):
        result = invoke(bank_app(), "--source", "nbt", "--from", "2000-12-31", "--to", "2001-01-02", *args)
        assert result.exit_code == 2
        assert "nbt's history starts 2001-01-01: give that day or later, or leave --from out" in result.output
    assert mirror.requested() == []


def test_nbts_today_file_is_never_stored_as_an_old_day(bank_app, mirror, upstream_bytes) -> None:
    # Out of its range NBT answers today's file, whatever date is asked for.
    path = urlsplit(mirror.template("nbt")).path
    mirror.server.expect_request(path).respond_with_data(upstream_bytes(NBT_FILE), content_type="text/xml")
    app = bank_app()
    with pytest.raises(NoData, match="2026-05-18"):
        NBT("").parse(upstream_bytes(NBT_FILE), date(2000, 12, 31))
    with app.app_context():  # the job itself, below the CLI's clamp, asked for days before the start
        summary = jobs.backfill("nbt", date(2000, 12, 30), date(2001, 1, 1))
    assert (summary.rows_written, summary.days_done, summary.error) == (0, 3, None)
    assert stored(app, "nbt") == []
    with Session(app.extensions["feedsvc.engine"]) as session:
        marks = session.scalars(select(RateSourceDay.status).where(RateSourceDay.source == "nbt")).all()
    assert marks == ["none"] * 3


def test_plan_numbers_are_those_of_plan_batches(bank_app, mirror, upstream_bytes) -> None:
    real = upstream_bytes(NBT_FILE)
    for day in (date(2001, 1, 1), date(2001, 1, 2)):
        serve_nbt(mirror, day, real)
    app = bank_app(RATES_MIN_INTERVAL=None)  # each source's own pace, as a real run has
    with app.app_context():
        jobs.backfill("nbt", date(2001, 1, 1), date(2001, 1, 2))
    asked_before = len(mirror.requested())
    start, end = date(2001, 1, 1), date(2003, 6, 30)
    result = invoke(app, "--plan", "--source", "nbt", "--source", "nbkr", "--from", f"{start}",
                    "--to", f"{end}")
    assert result.exit_code == 0, result.output
    rows = plan_rows(result.output)
    with app.app_context(), new_session() as session:
        for name in ("nbt", "nbkr"):
            source = jobs.get_source(name)
            pending = jobs.pending_backfill_days(session, name, start, end)
            requests = len(jobs.plan_batches(source, pending))
            seconds = requests * backfill_plan.REQUEST_SECONDS + (requests - 1) * source.min_interval
            assert rows[name] == [f"{start}", f"{end}", "911", f"{len(pending)}", f"{requests}",
                                  f"{source.min_interval:g}s", backfill_plan.format_duration(seconds)]
    assert rows["nbt"][3:5] == ["909", "909"] and rows["nbkr"][3:5] == ["911", "3"]
    assert len(mirror.requested()) == asked_before


def test_a_backfill_stopped_by_a_failing_upstream_resumes_without_refetching(bank_app, mirror,
                                                                            upstream_bytes) -> None:
    real = upstream_bytes(NBT_FILE)
    served: list[str] = []
    healthy = {"after": 3}  # answers this many requests, then 503s until made healthy again

    def bank(request: Request) -> Response:
        if len(served) >= healthy["after"]:
            return Response("Service Unavailable", status=503)
        served.append(request.args["date"])
        return Response(nbt_file_for(real, date.fromisoformat(request.args["date"])), content_type="text/xml")

    mirror.server.expect_request(urlsplit(mirror.template("nbt")).path).respond_with_handler(bank)
    app = bank_app()
    args = ("--source", "nbt", "--from", "2001-01-01", "--to", "2001-01-06")
    first = invoke(app, *args)
    assert first.exit_code == 1
    assert "nbt: failed after 3 rows: 2001-01-04: " in first.output
    healthy["after"] = 100
    again = invoke(app, *args)
    assert again.exit_code == 0, again.output
    assert "nbt: 3 of 6 days done" in again.output
    assert "nbt: 3 rows written, 3 days checked" in again.output
    assert served == [f"2001-01-0{n}" for n in range(1, 7)]  # each day fetched once
    assert [day for day, _ in stored(app, "nbt")] == [date(2001, 1, n) for n in range(1, 7)]


def test_the_progress_bar_shows_days_done_and_an_eta_on_a_terminal(bank_app, mirror, upstream_bytes,
                                                                   database_urls, db_name) -> None:
    real = upstream_bytes(NBT_FILE)
    days = [date(2001, 1, 1) + timedelta(days=n) for n in range(3)]
    for day in days:
        serve_nbt(mirror, day, real)
    app = bank_app()  # empties the tables for the real command below
    env = {**os.environ, "FEEDSVC_DATABASE_URL": database_urls[db_name], "FEEDSVC_SCHEDULER": "off",
           "FEEDSVC_RATES_SOURCES": "nbt", "FEEDSVC_SOURCE_NBT_URL": mirror.template("nbt")}
    started = time.monotonic()
    output = run_on_a_terminal([str(Path(sys.executable).parent / "feedsvc"), "rates", "backfill",
                                "--source", "nbt", "--from", f"{days[0]}", "--to", f"{days[-1]}"], env)
    assert time.monotonic() - started >= 2  # NBT's default pace: a second between requests
    assert "nbt: 0 of 3 days done" in output
    assert re.search(r"nbt: 0 of 3 days done\s+\[[#-]+\]\s+2/3\s+00:00:0\d", output), output
    assert "nbt: 3 rows written, 3 days checked" in output
    assert [day for day, _ in stored(app, "nbt")] == days


def run_on_a_terminal(command: list[str], env: dict[str, str]) -> str:
    """Run ``command`` with its output on a pseudo-terminal (click draws its bar only there)."""
    main, child = pty.openpty()
    process = subprocess.Popen(command, stdout=child, stderr=child, env=env)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the command exited and closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert process.wait(timeout=60) == 0, b"".join(chunks)
    return b"".join(chunks).decode()


def test_days_of_an_unusable_range_chunk_still_move_the_progress_on(bank_app, mirror) -> None:
    start, end = date(2005, 6, 1), date(2005, 6, 30)
    url = urlsplit(mirror.template("nbkr-history").format(start=start, end=end))
    mirror.server.expect_request(url.path, query_string=url.query).respond_with_data(
        "<html><body>Service unavailable</body></html>", content_type="text/html")
    app = bank_app()
    progressed: list[date] = []
    with app.app_context():
        summary = jobs.backfill("nbkr", start, end, on_day=progressed.append)
    assert progressed == [start + timedelta(days=n) for n in range(30)]
    assert (summary.rows_written, summary.days_done) == (0, 0)
    assert summary.error.startswith("2005-06-01: SourceError")
