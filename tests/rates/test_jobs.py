"""update and backfill against a local mirror of the real upstreams, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug import Response

from feedsvc.core.models import RateObservation, RateRun, RateSourceDay
from feedsvc.rates.ingest import jobs

SERVED = [date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26), date(2025, 12, 27), date(2025, 12, 28)]
HTML = b"<!DOCTYPE html><html><head><title>503</title></head><body>Service Unavailable</body></html>"


def span(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def real_values(upstream_bytes, day: date) -> dict[str, Decimal]:
    usd = json.loads(upstream_bytes(f"currency-api/{day}.usd.json"), parse_float=Decimal)["usd"]
    return {code: usd[code.lower()] for code in ("KZT", "KGS", "TJS", "TMT", "UZS")}


def observations(app: Flask, source: str = "currency-api") -> dict[date, dict[str, Decimal]]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        rows = session.scalars(select(RateObservation).where(RateObservation.source == source))
        found: dict[date, dict[str, Decimal]] = {}
        for row in rows:
            found.setdefault(row.date, {})[row.currency] = row.units_per_usd
        return found


def runs(app: Flask) -> list[RateRun]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return list(session.scalars(select(RateRun).order_by(RateRun.id)))


@pytest.fixture
def rates_app(app_factory, mirror, fast_http):
    """Build an app whose sources point at the local mirror (``sources`` in priority order)."""

    def build(sources: str = "currency-api", **overrides: object) -> Flask:
        settings = {"SOURCE_URLS": mirror.urls(), "RATES_SOURCES": tuple(sources.split(",")), **fast_http}
        return app_factory(**{**settings, **overrides})

    return build


def serve_real(mirror, upstream_bytes, days=SERVED) -> None:
    for day in days:
        mirror.serve("currency-api", day, upstream_bytes(f"currency-api/{day}.usd.json"))
    mirror.answer_404_elsewhere()


def test_backfill_with_missing_days_gives_exactly_the_real_values(rates_app, mirror, upstream_bytes) -> None:
    app = rates_app()
    serve_real(mirror, upstream_bytes)
    with app.app_context():
        summary = jobs.backfill("currency-api", date(2025, 12, 22), date(2025, 12, 29))
    assert (summary.error, summary.rows_written, summary.days_done) == (None, 25, 8)
    assert observations(app) == {day: real_values(upstream_bytes, day) for day in SERVED}
    with Session(app.extensions["feedsvc.engine"]) as session:
        days = {row.date: row.status for row in session.scalars(select(RateSourceDay))}
    assert days == {**{d: "none" for d in (date(2025, 12, 22), date(2025, 12, 23), date(2025, 12, 29))},
                    **{d: "ok" for d in SERVED}}
    assert [(r.job, r.rows_written, r.error) for r in runs(app)] == [("backfill", 25, None)]
    # a missing day asked the CDN, then its fallback, once each
    assert mirror.requested().count(mirror.path("currency-api-fallback", date(2025, 12, 22))) == 1


def test_a_second_run_adds_nothing_and_refetches_nothing(rates_app, mirror, upstream_bytes) -> None:
    app = rates_app()
    serve_real(mirror, upstream_bytes)
    with app.app_context():
        jobs.backfill("currency-api", date(2025, 12, 22), date(2025, 12, 29))
        asked = len(mirror.requested())
        again = jobs.backfill("currency-api", date(2025, 12, 22), date(2025, 12, 29))
    assert (again.rows_written, again.days_done, again.error) == (0, 0, None)
    assert len(mirror.requested()) == asked
    assert sum(len(v) for v in observations(app).values()) == 25


def test_update_repairs_the_gap_window_then_only_rechecks_today(rates_app, mirror, upstream_bytes) -> None:
    app = rates_app(RATES_GAP_DAYS=7)
    serve_real(mirror, upstream_bytes)
    with app.app_context():
        first = jobs.update(today=date(2025, 12, 28))
        asked = len(mirror.requested())
        second = jobs.update(today=date(2025, 12, 28))
    assert [(s.source, s.rows_written, s.days_done) for s in first] == [("currency-api", 25, 7)]
    assert observations(app) == {day: real_values(upstream_bytes, day) for day in SERVED}
    # the 404s of 12-22 and 12-23 were checked long after those days: final, not asked again
    assert [(s.rows_written, s.days_done, s.error) for s in second] == [(0, 1, None)]
    assert mirror.requested()[asked:] == [mirror.path("currency-api", date(2025, 12, 28))]


def test_update_asks_again_for_recent_days_that_had_no_data(rates_app, mirror) -> None:
    app = rates_app(RATES_GAP_DAYS=5)
    mirror.answer_404_elsewhere()
    today = jobs.utcnow().date()
    with app.app_context():
        jobs.update(today=today)
        asked = len(mirror.requested())
        second = jobs.update(today=today)
    assert [(s.rows_written, s.days_done, s.error) for s in second] == [(0, 2, None)]
    yesterday = today - timedelta(days=1)
    assert mirror.requested()[asked:] == [
        mirror.path(name, day)
        for day in (yesterday, today)
        for name in ("currency-api", "currency-api-fallback")
    ]


def test_500_then_200_is_retried(rates_app, mirror, upstream_bytes) -> None:
    app = rates_app()
    day = date(2025, 12, 24)
    path = mirror.serve("currency-api", day, upstream_bytes(f"currency-api/{day}.usd.json"))
    mirror.server.expect_oneshot_request(path).respond_with_data("Internal Server Error", status=500)
    with app.app_context():
        summary = jobs.backfill("currency-api", day, day)
    assert (summary.error, summary.rows_written) == (None, 5)
    assert mirror.requested() == [path, path]
    assert observations(app) == {day: real_values(upstream_bytes, day)}


def test_a_timeout_is_recorded_and_another_source_still_updates(rates_app, mirror, upstream_bytes) -> None:
    app = rates_app("currency-api,peg", HTTP_READ_TIMEOUT=0.3, HTTP_RETRIES=1, RATES_GAP_DAYS=1)
    day = date(2025, 12, 28)

    def slow(_request):
        time.sleep(1)  # longer than the read timeout: the client gives up first
        return Response(upstream_bytes(f"currency-api/{day}.usd.json"), content_type="application/json")

    for name in ("currency-api", "currency-api-fallback"):
        mirror.server.expect_request(mirror.path(name, day)).respond_with_handler(slow)
    with app.app_context():
        summaries = jobs.update(today=day)
    assert [s.source for s in summaries] == ["currency-api", "peg"]
    assert "timed out" in summaries[0].error
    assert summaries[1].error is None and summaries[1].rows_written == 1
    assert observations(app) == {}
    assert observations(app, "peg") == {day: {"TMT": Decimal("3.5")}}
    assert [(r.source, r.error is None) for r in runs(app)] == [("currency-api", False), ("peg", True)]


@pytest.mark.parametrize("spoil", [lambda real: HTML, lambda real: b"", lambda real: real[: len(real) // 2]],
                         ids=["html", "empty", "truncated"])
def test_unusable_bodies_record_a_failure_and_write_nothing(rates_app, mirror, upstream_bytes, spoil) -> None:
    app = rates_app()
    day = date(2025, 12, 25)
    mirror.serve("currency-api", day, spoil(upstream_bytes(f"currency-api/{day}.usd.json")))
    with app.app_context():
        summary = jobs.backfill("currency-api", day, day)
    assert summary.error and summary.error.startswith("2025-12-25: SourceError")
    assert (summary.rows_written, observations(app)) == (0, {})
    assert [(r.rows_written, r.error) for r in runs(app)] == [(0, summary.error)]
    with Session(app.extensions["feedsvc.engine"]) as session:
        assert session.scalars(select(RateSourceDay)).all() == []  # asked again next time


def test_the_fallback_is_used_when_the_primary_is_down(rates_app, mirror, upstream_bytes, closed_port_url):
    app = rates_app(SOURCE_URLS=mirror.urls(currency_api=closed_port_url))
    day = date(2025, 12, 26)
    mirror.serve("currency-api-fallback", day, upstream_bytes(f"currency-api/{day}.usd.json"))
    with app.app_context():
        summary = jobs.backfill("currency-api", day, day)
    assert (summary.error, summary.rows_written) == (None, 5)
    assert observations(app) == {day: real_values(upstream_bytes, day)}


def test_an_interrupted_backfill_resumes_without_refetching(rates_app, mirror, upstream_bytes) -> None:
    app = rates_app()
    for day in SERVED[:2]:
        mirror.serve("currency-api", day, upstream_bytes(f"currency-api/{day}.usd.json"))
    mirror.server.expect_request(mirror.path("currency-api", SERVED[2])).respond_with_data("down", status=503)
    mirror.server.expect_request(mirror.path("currency-api-fallback", SERVED[2])).respond_with_data(
        "down", status=503)
    with app.app_context():
        broken = jobs.backfill("currency-api", SERVED[0], SERVED[-1])
    assert broken.error.startswith("2025-12-26") and broken.rows_written == 10
    assert sorted(observations(app)) == SERVED[:2]

    mirror.server.clear()
    serve_real(mirror, upstream_bytes)
    with app.app_context():
        resumed = jobs.backfill("currency-api", SERVED[0], SERVED[-1])
    assert (resumed.error, resumed.rows_written, resumed.days_done) == (None, 15, 3)
    assert mirror.requested() == [mirror.path("currency-api", day) for day in SERVED[2:]]
    assert observations(app) == {day: real_values(upstream_bytes, day) for day in SERVED}


def test_one_unusable_day_does_not_hold_back_the_days_after_it(rates_app, mirror, upstream_bytes) -> None:
    app = rates_app(RATES_GAP_DAYS=5)
    mirror.serve("currency-api", SERVED[0], HTML, content_type="text/html")
    serve_real(mirror, upstream_bytes, SERVED[1:])
    with app.app_context():
        summary = jobs.update(today=SERVED[-1])[0]
        retried = jobs.update(today=SERVED[-1])[0]
    assert summary.error.startswith("2025-12-24: SourceError")
    assert (summary.rows_written, summary.days_done) == (20, 4)
    assert sorted(observations(app)) == SERVED[1:]
    assert retried.error == summary.error  # the bad day is asked again, the good ones are not
    assert mirror.requested().count(mirror.path("currency-api", SERVED[0])) == 2
    assert mirror.requested().count(mirror.path("currency-api", SERVED[1])) == 1


def test_a_range_source_backfills_from_its_history_page(app_factory, mirror, upstream_bytes,
                                                         fast_http) -> None:
    from feedsvc.rates.sources.nbkr import NBKR

    app = app_factory(**fast_http)
    page = upstream_bytes("nbkr/history_usd_2005-06_fragment.html")
    history = urlsplit(mirror.template("nbkr-history")).path
    mirror.server.expect_request(history).respond_with_data(page, content_type="text/html")
    source = NBKR(mirror.template("nbkr"), history_template=mirror.template("nbkr-history"))
    days = span(date(2005, 6, 1), date(2005, 6, 30))
    with app.app_context():
        summary = jobs.run_source(source, "backfill", days)
    assert (summary.error, summary.rows_written, summary.days_done) == (None, 4, 30)
    assert mirror.requested() == [history]  # the whole month in one request
    asked = mirror.server.log[0][0].args
    keys = ("beg_day", "beg_month", "end_day", "end_year")
    assert [asked[key] for key in keys] == ["01", "06", "30", "2005"]
    assert observations(app, "nbkr") == {
        date(2005, 6, 4): {"KGS": Decimal("40.9879")}, date(2005, 6, 11): {"KGS": Decimal("41.0511")},
        date(2005, 6, 18): {"KGS": Decimal("41.0685")}, date(2005, 6, 25): {"KGS": Decimal("40.9614")},
    }
    with app.app_context():
        assert jobs.plan_batches(source, days[:3] + [date(2006, 6, 2)], today=date(2006, 6, 2)) == [
            jobs.Batch(days[:3], ranged=True), jobs.Batch([date(2006, 6, 2)])
        ]
