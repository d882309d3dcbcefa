"""GET /healthz: database reachability and rate freshness."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from feedsvc.db import get_session

bp = Blueprint("health", __name__)


def rates_health() -> dict[str, Any]:
    """Rate freshness; replaced by the rates package once it records runs."""
    return {"last_success": None, "stale": True}


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
