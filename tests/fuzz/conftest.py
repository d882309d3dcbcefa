"""Fixtures of the fuzz tests: the app with the demo data loaded, and what it holds (article ids, slugs)."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from fuzz_checks import DemoSite


@pytest.fixture
def demo_site(app: Flask, client: FlaskClient, token: str, caplog: pytest.LogCaptureFixture) -> DemoSite:
    """Load the demo articles and rates through ``feedsvc demo``; pick articles from the API."""
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    items = client.get("/api/articles?per_page=5").get_json()["items"]
    assert items, "the demo has articles"
    caplog.set_level(logging.INFO)
    return DemoSite(app, client, token, tuple(item["id"] for item in items),
                    tuple(item["url"].rstrip("/").rsplit("/", 1)[-1] for item in items))
