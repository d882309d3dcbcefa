"""GET /healthz: database reachability and rate freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from feedsvc.db import get_session
from feedsvc.rates.service import last_update_success

bp = Blueprint("health", __name__)


def rates_health() -> dict[str, Any]:
    """``last_success`` (RFC 3339 or None) and ``stale``: no success within RATES_STALE_HOURS."""
    last = last_update_success()
    limit = timedelta(hours=current_app.config["RATES_STALE_HOURS"])
    stale = last is None or datetime.now(UTC) - last > limit
    return {
        "last_success": last.isoformat().replace("+00:00", "Z") if last else None,
        "stale": stale,
    }


@bp.get("/healthz")
def get_health() -> Response:
    """``ok`` or ``degraded``; 503 only when the database is unreachable."""
    session = get_session()
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        session.rollback()
        response = jsonify(status="down", database="unreachable", rates=None)
        response.status_code = 503
    else:
        rates = rates_health()
        status = "degraded" if rates["stale"] else "ok"
        response = jsonify(status=status, database="ok", rates=rates)
    response.headers["Cache-Control"] = "no-store"
    return response
