"""Feed URLs and query strings: redirects, 404s, 400s with the JSON error shape, limit and tag."""

from __future__ import annotations

import feedparser
import pytest


def test_iso_code_redirects_to_slug_keeping_the_query(client):
    response = client.get("/feeds/KZ.atom?limit=5")
    assert response.status_code == 301
    assert response.headers["Location"] == "/feeds/kazakhstan.atom?limit=5"
    assert client.get("/feeds/Kazakhstan.json").headers["Location"] == "/feeds/kazakhstan.json"
    assert client.get("/feeds/ALL.rss?tag=x").headers["Location"] == "/feeds/all.rss?tag=x"


@pytest.mark.parametrize("path", ["/feeds/atlantis.rss", "/feeds/kazakhstan.xml", "/feeds/kazakhstan.RSS",
                                  "/feeds/kazakhstan", "/feeds/all.html"])
def test_unknown_country_or_format_is_a_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


@pytest.mark.parametrize("limit", ["0", "101", "abc", "-1", "1.5", "", "9" * 5000, "１"])
def test_bad_limit_is_a_json_400(client, limit):
    response = client.get("/feeds/kazakhstan.rss", query_string={"limit": limit})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "limit" in error["fields"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("query", [{"page": "2"}, {"limit": "5", "format": "atom"}, {"tag": "a\x00b"},
                                   {"tag": "x" * 65}, {"tag": "not a slug"}])
def test_unknown_parameters_and_malformed_tags_are_a_400(client, query):
    response = client.get("/feeds/all.json", query_string=query)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"]


def test_limit_caps_the_items(client, add_article):
    for number in range(5):
        add_article(title=f"Story {number}")
    parsed = feedparser.parse(client.get("/feeds/kazakhstan.rss?limit=2").data)
    assert [e.title for e in parsed.entries] == ["Story 4", "Story 3"]
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == ["http://localhost/feeds/kazakhstan.rss?limit=2"]


def test_tag_filters_and_unknown_tag_gives_an_empty_feed(client, add_article, atom_schema):
    add_article(title="Money", tags=["economy"])
    add_article(title="Sport", tags=["football"])
    parsed = feedparser.parse(client.get("/feeds/all.atom?tag=Economy").data)
    assert [e.title for e in parsed.entries] == ["Money"]
    empty = client.get("/feeds/all.atom?tag=no-such-tag")
    assert empty.status_code == 200
    assert feedparser.parse(empty.data).entries == []
