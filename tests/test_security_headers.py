"""Security headers on every kind of response: pages, frames, feeds, data, scripts, errors, 304s."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from feedsvc.articles.demo import load_demo_articles
from feedsvc.core.db import new_session
from feedsvc.core.http import DATA_CSP, page_csp

PAGES = ["/", "/kazakhstan", "/search?q=almaty", "/rates", "/embed", "/nope", "/kazakhstan?page=x"]
FRAMES = ["/embed/kazakhstan", "/embed/all?limit=3", "/embed/rates"]
DATA = ["/feeds/kazakhstan.rss", "/feeds/kazakhstan.atom", "/feeds/all.json", "/feeds.opml",
        "/api/articles", "/api/countries", "/api/openapi.json", "/api/articles/999999",
        "/rates.csv", "/rates.json", "/rates/latest.json", "/rates/sources.json", "/healthz",
        "/embed/v1/headlines.js", "/embed/v1/rates.js", "/assets/site.css", "/feeds/nope.rss",
        "/feeds/kazakhstan.rss?limit=0", "/rates.csv?from=0001-01-01"]


@pytest.fixture
def demo_client(app: Flask) -> FlaskClient:
    """A client of the app with the demo articles (headers don't depend on the rates, which take longer)."""
    with app.app_context(), new_session() as session:
        load_demo_articles(session)
        session.commit()
    return app.test_client()


def assert_common(response, path: str) -> None:
    """What every response carries."""
    assert response.headers["X-Content-Type-Options"] == "nosniff", path
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path
    assert "Strict-Transport-Security" not in response.headers, path  # development


def test_pages_get_the_site_policy_and_refuse_other_framers(demo_client: FlaskClient) -> None:
    for path in PAGES:
        response = demo_client.get(path)
        assert response.mimetype == "text/html", path
        assert_common(response, path)
        # The site's policy, and frames from the allowed embed players only.
        expected = page_csp(demo_client.application.config["EMBED_HOSTS"])
        assert response.headers["Content-Security-Policy"] == expected, path
        assert response.headers["X-Frame-Options"] == "SAMEORIGIN", path


def test_embed_frames_may_be_framed_anywhere(demo_client: FlaskClient) -> None:
    for path in FRAMES:
        response = demo_client.get(path)
        assert response.status_code == 200, path
        assert_common(response, path)
        assert "frame-ancestors *" in response.headers["Content-Security-Policy"], path
        assert "X-Frame-Options" not in response.headers, path


def test_data_never_runs_as_a_page_nor_is_framed(demo_client: FlaskClient) -> None:
    for path in DATA:
        response = demo_client.get(path)
        assert response.mimetype != "text/html", path
        assert_common(response, path)
        assert response.headers["Content-Security-Policy"] == DATA_CSP, path
        assert response.headers["X-Frame-Options"] == "DENY", path
        response.close()  # a static file's handle


def test_errors_of_any_method_carry_them(demo_client: FlaskClient) -> None:
    for response in (demo_client.post("/feeds/all.rss"), demo_client.delete("/"),
                     demo_client.post("/api/articles", json={}),
                     demo_client.open("/rates.csv", method="BREW")):
        assert response.status_code in (401, 405), response.request.path
        assert_common(response, response.request.path)
        assert response.headers["Content-Security-Policy"] and response.headers["X-Frame-Options"]


def test_not_modified_answers_carry_them(demo_client: FlaskClient) -> None:
    for path in ("/feeds/kazakhstan.atom", "/kazakhstan", "/rates.json", "/embed/kazakhstan"):
        etag = demo_client.get(path).headers["ETag"]
        response = demo_client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 304, path
        assert_common(response, path)
        assert response.headers["Content-Security-Policy"], path


def test_production_adds_hsts_everywhere(app_factory) -> None:
    client = app_factory(ENV="production").test_client()
    for path in ("/", "/feeds/all.rss", "/nope", "/embed/all", "/rates.csv?from=x"):
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000", path
