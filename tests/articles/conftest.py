"""Fixtures for the article tests: no-traceback check and an article creator."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from article_helpers import article_body


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture):
    """Fail the test if anything logged an error or a traceback."""
    caplog.set_level(logging.INFO)
    yield caplog
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [r.getMessage() for r in bad]


@pytest.fixture
def create(client, auth_headers):
    """POST an article and return its JSON (asserting 201)."""

    def post(**overrides: Any) -> dict[str, Any]:
        response = client.post("/api/articles", json=article_body(**overrides), headers=auth_headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return post
