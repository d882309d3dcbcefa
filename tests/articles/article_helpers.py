"""Helpers for the article tests: a valid body, a snapshot of what a write could touch, error checks."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select, text

from feedsvc.core.db import new_session
from feedsvc.core.models import Article, ChangeMarker, Tag, article_countries, article_tags


def article_body(**overrides: Any) -> dict[str, Any]:
    """A valid POST body; keyword arguments replace or add fields."""
    body = {
        "title": "Reservoir levels rise on the Syr Darya",
        "summary": "Spring inflows filled the upper reservoirs early.",
        "content_html": "<p>Operators reported higher inflows in April.</p>",
        "countries": ["kazakhstan", "uzbekistan"],
        "tags": ["water", "energy"],
        "author": "Water desk <water@example.org>",
        "published_at": "2025-04-02T08:30:00Z",
    }
    body.update(overrides)
    return body


def snapshot(app: Flask) -> dict[str, Any]:
    """Row counts and change-marker revisions: equal snapshots mean nothing was written."""
    with app.app_context(), new_session() as session:
        return {
            "articles": session.scalar(select(func.count()).select_from(Article)),
            "tags": session.scalar(select(func.count()).select_from(Tag)),
            "links": session.scalar(select(func.count()).select_from(article_countries)),
            "tag_links": session.scalar(select(func.count()).select_from(article_tags)),
            "markers": sorted(session.execute(select(ChangeMarker.scope, ChangeMarker.revision)).all()),
            "articles_rows": sorted(
                session.execute(select(Article.id, Article.title, Article.external_id)).all()
            ),
        }


def markers(app: Flask) -> dict[str, int]:
    """Revision of every change-marker scope."""
    with app.app_context(), new_session() as session:
        return dict(session.execute(select(ChangeMarker.scope, ChangeMarker.revision)).all())


def assert_error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """The response is the one JSON error shape with ``status`` (and a message for ``field``)."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert set(error) <= {"status", "message", "fields"}
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    if field is not None:
        assert field in error["fields"], error
        assert all(isinstance(m, str) for m in error["fields"][field])
    return error


def search_index_in_step(app: Flask, db_name: str) -> None:
    """SQLite: FTS5's own check that the index holds exactly the articles' text (raises otherwise)."""
    if db_name != "sqlite":
        return
    with app.app_context(), new_session() as session:
        check = "INSERT INTO article_search(article_search, rank) VALUES ('integrity-check', 1)"
        session.execute(text(check))
        triggers = session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                        "AND tbl_name = 'articles' ORDER BY name")).all()
    assert triggers == ["article_search_delete", "article_search_insert", "article_search_update"]

