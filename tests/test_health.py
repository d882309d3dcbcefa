"""GET /healthz: database reachability and rate freshness (stale after RATES_STALE_HOURS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

import config
from feedsvc import create_app
from feedsvc.core.models import RateRun


def add_run(app: Flask, finished_ago: timedelta | None, error: str | None = None,
            source: str = "currency-api", job: str = "update") -> datetime | None:
    now = datetime.now(UTC).replace(microsecond=0)
    finished = None if finished_ago is None else now - finished_ago
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        session.add(RateRun(source=source, job=job, started_at=now - timedelta(days=9),
                            finished_at=finished, rows_written=5, error=error))
    return finished


def test_no_run_yet_is_degraded_but_200(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == {"status": "degraded", "database": "ok",
                                   "rates": {"last_success": None, "stale": True}}


def test_a_recent_success_is_ok(app, client) -> None:
    add_run(app, timedelta(hours=50))
    finished = add_run(app, timedelta(hours=2))
    add_run(app, timedelta(minutes=5), error="2025-12-28: timeout")  # a later failure does not count
    add_run(app, None)  # nor does a run still going
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["rates"] == {"last_success": finished.isoformat().replace("+00:00", "Z"), "stale": False}


def test_no_success_within_the_stale_hours_is_degraded(app_factory) -> None:
    app = app_factory(RATES_STALE_HOURS=48)
    finished = add_run(app, timedelta(hours=49))
    add_run(app, timedelta(hours=1), error="ConnectionError: refused")
    add_run(app, timedelta(hours=1), source="peg")  # a constant source is always fine: no evidence
    add_run(app, timedelta(hours=1), job="backfill")  # old days fetched: no evidence either
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert body["rates"]["stale"] is True
    assert datetime.fromisoformat(body["rates"]["last_success"]) == finished


def test_an_unreachable_database_is_503() -> None:
    app = create_app(config.TestConfig(DATABASE_URL="postgresql://postgres@127.0.0.1:9/none"))
    try:
        response = app.test_client().get("/healthz")
    finally:
        app.extensions["feedsvc.engine"].dispose()
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
    assert response.headers["Cache-Control"] == "no-store"
