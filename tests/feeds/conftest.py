"""Helpers for feed tests: articles written through the store (fast) or the API (the real path)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree

from feedsvc.articles.store import create_article
from feedsvc.core.db import new_session

ATOM_RNG = Path(__file__).parents[1] / "fixtures" / "atom.rng"
BASE_TIME = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def atom_schema() -> etree.RelaxNG:
    """RFC 4287's RELAX NG schema (atom.rng, converted from atom.rnc with trang)."""
    return etree.RelaxNG(etree.parse(str(ATOM_RNG)))


@pytest.fixture
def add_article(app: Flask) -> Callable[..., int]:
    """Write an article through the store; the n-th call is published n hours after BASE_TIME."""
    counter = iter(range(1, 10_000))

    def add(**fields: Any) -> int:
        data = {"title": "Story", "countries": ["kazakhstan"], **fields}
        data.setdefault("published_at", BASE_TIME + timedelta(hours=next(counter)))
        with app.app_context():
            session = new_session()
            article = create_article(session, data, now=data["published_at"])
            session.commit()
            article_id = article.id
            session.close()
        return article_id

    return add


@pytest.fixture
def post_article(client: FlaskClient, auth_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Create an article through the API; returns its JSON."""

    def post(**fields: Any) -> dict[str, Any]:
        response = client.post("/api/articles", json={"title": "Story", "countries": ["kazakhstan"],
                                                      **fields}, headers=auth_headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return post
