"""Fixtures of the embed tests: articles created through the real API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def make_article(client: FlaskClient, auth_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """POST an article published on 2026-11-<day> through the API; return the API's answer."""

    def create(title: str, *, countries: list[str], day: int, tags: list[str] | None = None,
               summary: str = "") -> dict[str, Any]:
        body = {"title": title, "summary": summary, "countries": countries, "tags": tags or [],
                "published_at": f"2026-11-{day:02d}T08:00:00Z"}
        response = client.post("/api/articles", json=body, headers=auth_headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return create
