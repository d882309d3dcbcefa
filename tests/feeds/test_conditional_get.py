"""Conditional GET: ETag and Last-Modified come from the change markers; every write changes them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from feedsvc.core.db import new_session
from feedsvc.core.models import ChangeMarker

FEEDS = ["/feeds/kazakhstan.atom", "/feeds/all.atom", "/feeds/all.json", "/feeds/kazakhstan.rss"]


def _age_markers(app):
    """Move every change marker back in time, so the next write visibly moves Last-Modified."""
    with app.app_context():
        session = new_session()
        session.execute(update(ChangeMarker).values(changed_at=datetime(2020, 1, 1, tzinfo=UTC)))
        session.commit()
        session.close()


@pytest.mark.parametrize("path", FEEDS)
def test_304_for_if_none_match_and_if_modified_since(client, post_article, path):
    post_article(title="Hello")
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=300, s-maxage=1, stale-if-error=86400"
    by_etag = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert by_etag.status_code == 304 and by_etag.data == b""
    assert by_etag.headers["ETag"] == first.headers["ETag"]
    by_date = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert by_date.status_code == 304
    stale = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def _write(kind, client, auth_headers, article_id):
    if kind == "create":
        return client.post("/api/articles", json={"title": "New", "countries": ["kz"]}, headers=auth_headers)
    if kind == "edit":
        return client.patch(f"/api/articles/{article_id}", json={"title": "Edited"}, headers=auth_headers)
    return client.delete(f"/api/articles/{article_id}", headers=auth_headers)


@pytest.mark.parametrize("kind", ["create", "edit", "delete"])
@pytest.mark.parametrize("path", ["/feeds/kazakhstan.atom", "/feeds/all.atom"])
def test_every_write_changes_etag_and_last_modified(app, client, auth_headers, post_article, kind, path):
    article = post_article(title="Original", countries=["kazakhstan"])
    _age_markers(app)
    before = client.get(path)
    response = _write(kind, client, auth_headers, article["id"])
    assert response.status_code in (200, 201, 204)
    after = client.get(path, headers={"If-None-Match": before.headers["ETag"],
                                      "If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] != before.headers["Last-Modified"]
    by_date = client.get(path, headers={"If-Modified-Since": before.headers["Last-Modified"]})
    assert by_date.status_code == 200
    assert (b"Original" in after.data) == (kind == "create")


def test_a_write_elsewhere_leaves_a_country_feed_alone(client, post_article):
    post_article(title="Kazakh")
    before = client.get("/feeds/kazakhstan.atom")
    post_article(title="Tajik", countries=["tajikistan"])
    after = client.get("/feeds/kazakhstan.atom", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 304


def test_json_feed_allows_any_origin_and_xml_feeds_do_not_need_to(client):
    assert client.get("/feeds/all.json").headers["Access-Control-Allow-Origin"] == "*"
    not_modified = client.get("/feeds/all.json", headers={
        "If-None-Match": client.get("/feeds/all.json").headers["ETag"]})
    assert not_modified.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", FEEDS + ["/feeds.opml"])
def test_head_gives_the_headers_without_a_body(client, post_article, path):
    post_article(title="Hello")
    get, head = client.get(path), client.head(path)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
