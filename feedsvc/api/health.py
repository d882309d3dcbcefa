"""GET /healthz: database reachability and rate freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from feedsvc.core.db import probe_database
from feedsvc.core.errors import RETRY_AFTER
from feedsvc.rates import last_update_success

bp = Blueprint("health", __name__)
PROBE_TIMEOUT = 1.5  # seconds: a load balancer's check gets its answer within 2 s, whatever the database does


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
    """``ok`` or ``degraded``; 503 only when the database is unreachable (answered within 2 s)."""
    if not probe_database(PROBE_TIMEOUT):
        response = jsonify(status="down", database="unreachable", rates=None)
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER)
    else:
        rates = rates_health()
        status = "degraded" if rates["stale"] else "ok"
        response = jsonify(status=status, database="ok", rates=rates)
    response.headers["Cache-Control"] = "no-store"
    return response
