"""Every public GET is a byte-cache hit while nothing changes, and gets a new ETag the moment it does.

Two app instances on one database stand for two workers: one reads, the other writes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from feedsvc.core.db import new_session
from feedsvc.core.models import ChangeMarker

NOW = datetime.now(UTC).replace(microsecond=0)
PAGE = "public, max-age=0, s-maxage=1, stale-if-error=86400"
LISTINGS = ("/", "/kazakhstan", "/tags/energy", "/search?q=metro", "/embed/all",
            "/embed/kazakhstan?tag=energy", "/api/articles", "/api/articles?country=kazakhstan&tag=energy",
            "/api/articles?q=metro", "/sitemap.xml", "/sitemap-news.xml")
RATES = ("/rates", "/rates/sources.json", "/embed/rates")


def article(**fields: Any) -> dict[str, Any]:
    """A POST body: a Kazakhstan energy story about the metro, published an hour ago."""
    return {"title": "Almaty metro extends its line", "countries": ["kazakhstan"], "tags": ["energy"],
            "content_html": "<p>The metro opens three stations.</p>",
            "published_at": (NOW - timedelta(hours=1)).isoformat(), **fields}


@pytest.fixture
def writer(app_factory, app: Flask, auth_headers: dict[str, str]) -> FlaskClient:
    """A second instance on the same database (another worker), writing with a token."""
    client = app_factory(RATES_SOURCES=("currency-api", "peg")).test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = auth_headers["Authorization"]
    return client


@pytest.fixture
def story(writer: FlaskClient) -> dict[str, Any]:
    """One story, written through the API, and an older one beside it."""
    writer.post("/api/articles", json=article(title="Older story", published_at=(NOW - timedelta(hours=5))
                                              .isoformat()))
    created = writer.post("/api/articles", json=article())
    assert created.status_code == 201
    return created.get_json()


def every_get(story: dict[str, Any], client: FlaskClient) -> list[str]:
    """One URL of each kind of public GET, the article's and the API cursor's filled in."""
    path = story["url"].removeprefix("http://localhost")
    cursor = client.get("/api/articles?per_page=1").headers["Link"].split("after=")[1].split(">")[0]
    return [*LISTINGS, *RATES, path, f"/embed/articles/{story['id']}", f"/api/articles/{story['id']}",
            f"/api/articles?after={cursor}", f"/oembed?url={story['url']}", "/embed/v1/options.json"]


def etags(client: FlaskClient, paths: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Each path's ETag (asserting a 200)."""
    answers = {path: client.get(path) for path in paths}
    assert {path: a.status_code for path, a in answers.items()} == dict.fromkeys(paths, 200)
    return {path: a.headers["ETag"] for path, a in answers.items()}


def changed(client: FlaskClient, known: dict[str, str]) -> set[str]:
    """The paths whose known ETag no longer matches (a 200 with a new one, not a 304)."""
    found = set()
    for path, etag in known.items():
        answer = client.get(path, headers={"If-None-Match": etag})
        assert answer.status_code in (200, 304, 404, 410), path  # a deleted article: 410, its card 404
        if answer.status_code != 304:
            assert answer.headers.get("ETag") != etag, path
            found.add(path)
    return found


def test_each_get_is_a_304_with_its_etag_and_a_cache_hit_without(app, client, story) -> None:
    cache = app.extensions["feedsvc.core.cache"]
    for path in every_get(story, client):
        first = client.get(path)
        assert first.status_code == 200 and first.headers["ETag"], path
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"], path
        assert again.data == b"" and again.headers["Cache-Control"] == first.headers["Cache-Control"], path
        for answer in (first, again):  # the security headers, on 304s too
            assert answer.headers["X-Content-Type-Options"] == "nosniff", path
            assert "Content-Security-Policy" in answer.headers, path
        etag = first.headers["ETag"].strip('"')
        (key,) = [key for key in cache.items if key.endswith(etag)]  # one entry, named by the ETag
        cache.set(key, b"from the cache", 60)
        assert client.get(path).data == b"from the cache", path  # answered unbuilt


def test_headers_stay_as_documented(client, story) -> None:
    assert client.get("/").headers["Cache-Control"] == PAGE
    assert client.get("/tags/energy").headers["Cache-Control"] == PAGE
    api = client.get("/api/articles?per_page=1")
    assert api.headers["Cache-Control"] == PAGE and "Authorization" in api.headers["Vary"]
    assert api.headers["Link"].endswith('; rel="next"')
    # Kept with the bytes: a cached answer has its Link too.
    assert client.get("/api/articles?per_page=1").headers["Link"] == api.headers["Link"]
    sources = client.get("/rates/sources.json")
    assert sources.headers["Cache-Control"].startswith("public, max-age=60,")
    for path in ("/rates/sources.json", f"/oembed?url={story['url']}", "/embed/v1/options.json"):
        assert client.get(path).headers["Access-Control-Allow-Origin"] == "*", path
    assert "frame-ancestors *" in client.get("/embed/all").headers["Content-Security-Policy"]


def test_a_read_with_a_token_is_built_each_time_and_never_cached(client, story, auth_headers) -> None:
    for path in ("/api/articles", f"/api/articles/{story['id']}"):
        answer = client.get(path, headers=auth_headers)
        assert answer.status_code == 200 and "ETag" not in answer.headers
        assert answer.headers["Cache-Control"] == "private, no-store"
    assert client.get("/api/articles", headers={"Authorization": "Bearer fsv_wrong"}).status_code == 401


def test_each_article_write_changes_the_etags_at_once_on_the_other_instance(client, writer, story) -> None:
    paths = [path for path in every_get(story, client) if path not in RATES and "options" not in path]
    known = etags(client, paths)
    writer.post("/api/articles", json=article(title="Another metro story"))
    assert changed(client, known) == set(paths)
    assert "Another metro story" in client.get("/").get_data(as_text=True)

    known = etags(client, paths)
    edited = writer.patch(f"/api/articles/{story['id']}", json={"summary": "Three new stations."})
    assert edited.status_code == 200
    assert changed(client, known) == set(paths)

    known = etags(client, paths)
    assert writer.delete(f"/api/articles/{story['id']}").status_code == 204
    assert changed(client, known) == set(paths)
    assert client.get(f"/api/articles/{story['id']}").status_code == 410


def test_a_rates_update_changes_the_rates_etags_and_a_bare_run_only_the_sources(client, writer) -> None:
    paths = [*RATES, "/"]
    known = etags(client, paths)
    update = ["rates", "update", "--source", "peg", "--date", "2025-12-28"]
    result = writer.application.test_cli_runner().invoke(args=update)
    assert result.exit_code == 0 and "peg: 0 rows" not in result.output, result.output
    assert changed(client, known) == set(paths)
    known = etags(client, paths)
    result = writer.application.test_cli_runner().invoke(args=update)  # nothing new: a run, no rate
    assert result.exit_code == 0 and "peg: 0 rows written" in result.output, result.output
    assert changed(client, known) == {"/rates/sources.json"}


def markers(app: Flask) -> dict[str, int]:
    """Revision of every change-marker scope."""
    with app.app_context(), new_session() as session:
        return dict(session.execute(select(ChangeMarker.scope, ChangeMarker.revision)).all())


def test_an_embargo_ending_changes_the_etags_of_what_lists_it_without_a_write(app, client, writer,
                                                                              story) -> None:
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    ahead = writer.post("/api/articles", json=article(title="Metro story at its time",
                                                      published_at=due.isoformat())).get_json()
    before = {path: client.get(path) for path in LISTINGS}
    assert datetime.now(UTC) < due, "too slow: the article went live while the pages were read"
    assert [path for path, answer in before.items() if ahead["title"] in answer.get_data(as_text=True)] == []
    known = {path: answer.headers["ETag"] for path, answer in before.items()}
    revisions = markers(app)
    while datetime.now(UTC) <= due:  # the clock passes the article's time; nothing is written
        time.sleep(0.05)
    assert changed(client, known) == set(LISTINGS)
    for path in LISTINGS[:-2]:  # the sitemaps list its URL, not its title
        assert ahead["title"] in client.get(path).get_data(as_text=True), path
    assert f"/articles/{ahead['id']}/" in client.get("/sitemap-news.xml").get_data(as_text=True)
    assert markers(app) == revisions
