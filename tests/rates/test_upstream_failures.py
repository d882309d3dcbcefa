"""An upstream that did not answer fails the run for that day with its reason, on the primary and the
fallback alike; only an answer of "nothing that day" (both 404, an empty table) records no data; and
``backfill --recheck`` asks such days again. Every kind against a real local server."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug import Request, Response

from feedsvc.core.models import RateObservation, RateSourceDay
from feedsvc.rates.ingest import jobs

DAY = date(2025, 12, 25)
FILE = f"currency-api/{DAY}.usd.json"


def day_status(app: Flask, source: str = "currency-api") -> str | None:
    with Session(app.extensions["feedsvc.engine"]) as session:
        row = session.get(RateSourceDay, (source, DAY))
        return None if row is None else row.status


def stored(app: Flask) -> int:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return len(session.scalars(select(RateObservation)).all())


@pytest.fixture
def failing_app(app_factory, mirror, fast_http):
    """An app on the mirror whose currency-api answers as a test arranges; its fallback answers 404."""

    def build(**overrides: object) -> Flask:
        mirror.serve("currency-api-fallback", DAY, "Not Found", status=404)
        settings = {"SOURCE_URLS": mirror.urls(), "RATES_SOURCES": ("currency-api",), **fast_http,
                    "HTTP_READ_TIMEOUT": 0.5, **overrides}
        return app_factory(**settings)

    return build


def _slow(_request: Request) -> Response:
    time.sleep(1.5)  # longer than the read timeout
    return Response("{}", content_type="application/json")


PRIMARY_FAILURES = {
    "503": lambda mirror: mirror.serve("currency-api", DAY, "Service Unavailable", status=503),
    "timeout": lambda mirror: mirror.server.expect_request(mirror.path("currency-api", DAY))
    .respond_with_handler(_slow),
    "oversize": lambda mirror: mirror.serve("currency-api", DAY, b"{" + b" " * 5000 + b"}"),
}


@pytest.mark.parametrize("kind", sorted(PRIMARY_FAILURES))
def test_a_primary_that_did_not_answer_and_a_fallback_404_record_no_no_data(failing_app, mirror,
                                                                           kind: str) -> None:
    PRIMARY_FAILURES[kind](mirror)
    app = failing_app(HTTP_MAX_BYTES=1000)
    with app.app_context():
        summary = jobs.backfill("currency-api", DAY, DAY)
    assert summary.error and summary.error.startswith(f"{DAY}: ")
    assert day_status(app) is None  # asked again by the next run: nothing was lost for good
    assert {"timeout": "timed out", "503": "503", "oversize": "BodyTooLarge"}[kind] in summary.error


def test_a_refused_connection_then_a_fallback_404_is_a_failure(failing_app, closed_port_url, mirror) -> None:
    app = failing_app(SOURCE_URLS=mirror.urls(currency_api=closed_port_url))
    with app.app_context():
        summary = jobs.backfill("currency-api", DAY, DAY)
    assert "ConnectionError" in summary.error and day_status(app) is None


def test_a_primary_404_then_a_failing_fallback_is_a_failure(app_factory, mirror, fast_http) -> None:
    mirror.serve("currency-api", DAY, "Not Found", status=404)
    mirror.serve("currency-api-fallback", DAY, "Bad Gateway", status=502)
    app = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("currency-api",), **fast_http)
    with app.app_context():
        summary = jobs.backfill("currency-api", DAY, DAY)
    assert "502" in summary.error and day_status(app) is None


def test_an_unparsable_answer_fails_the_day_and_is_asked_again(failing_app, mirror) -> None:
    page = "<!DOCTYPE html><html><body>maintenance</body></html>"
    mirror.serve("currency-api", DAY, page, content_type="text/html")
    app = failing_app()
    with app.app_context():
        summary = jobs.backfill("currency-api", DAY, DAY)
    assert "SourceError" in summary.error and day_status(app) is None


def test_both_404_and_an_empty_table_are_no_data(failing_app, app_factory, mirror, upstream_bytes, fast_http):
    mirror.serve("currency-api", DAY, "Not Found", status=404)
    app = failing_app()
    with app.app_context():
        summary = jobs.backfill("currency-api", DAY, DAY)
    assert summary.error is None and day_status(app) == "none"
    empty = upstream_bytes("nbk/get_rates_fdate_01.04.2026.xml").split(b"<item>")[0] + b"</rates>"
    mirror.serve("nbk", date(2026, 4, 1), empty)  # the bank's file of the day, listing no currency
    bank = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("nbk",), **fast_http)
    with bank.app_context():
        assert jobs.backfill("nbk", date(2026, 4, 1), date(2026, 4, 1)).error is None
    with Session(bank.extensions["feedsvc.engine"]) as session:
        assert session.get(RateSourceDay, ("nbk", date(2026, 4, 1))).status == "none"


def test_recheck_asks_again_the_days_recorded_as_no_data(app_factory, mirror, upstream_bytes, fast_http):
    responses = iter([Response("Not Found", status=404)] * 2
                     + [Response(upstream_bytes(FILE), content_type="application/json")])
    for name in ("currency-api", "currency-api-fallback"):
        mirror.server.expect_request(mirror.path(name, DAY)).respond_with_handler(lambda _r: next(responses))
    app = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("currency-api",), **fast_http)
    runner = app.test_cli_runner()
    args = ["rates", "backfill", "--source", "currency-api", "--from", f"{DAY}", "--to", f"{DAY}"]
    assert runner.invoke(args=args).exit_code == 0 and day_status(app) == "none"
    again = runner.invoke(args=args)
    assert "0 rows written, 0 days checked" in again.output  # no data is final without --recheck
    plan = runner.invoke(args=[*args, "--recheck", "--plan"])  # days, pending, requests: the one day
    assert re.search(rf"currency-api\s+{DAY}\s+{DAY}\s+1\s+1\s+1\s", plan.output), plan.output
    rechecked = runner.invoke(args=[*args, "--recheck"])
    assert rechecked.exit_code == 0 and "160 rows written, 1 days checked" in rechecked.output
    assert day_status(app) == "ok" and stored(app) == 160
