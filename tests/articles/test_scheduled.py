"""Scheduled publishing: a future ``published_at`` is stored but public nowhere until then, then everywhere.

The article goes live with no write: feeds, pages and embeds change, their ETags and Last-Modified too.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import feedparser
import lxml.html
from article_helpers import markers
from werkzeug.http import http_date

PUBLIC_PAGES = ("/", "/kazakhstan", "/search?q=budget", "/embed/kazakhstan", "/embed/all")
FEEDS = ("/feeds/kazakhstan.atom", "/feeds/all.rss", "/feeds/kazakhstan.rss?tag=economy")


def _feed_titles(client, path: str) -> list[str]:
    parsed = feedparser.parse(client.get(path).data)
    assert parsed.bozo == 0, parsed.bozo_exception
    return [entry.title for entry in parsed.entries]


def _api_titles(client, **headers: str) -> list[tuple[str, str]]:
    body = client.get("/api/articles?country=kz", headers=headers).get_json()
    assert body["total"] == len(body["items"])
    return [(item["title"], item["status"]) for item in body["items"]]


def test_a_2030_article_is_shown_to_token_holders_only(client, auth_headers, create, runner) -> None:
    live = create(title="Budget passes in Astana", countries=["kazakhstan"], tags=["economy"])
    ahead = create(title="Embargoed budget story", countries=["kazakhstan"], tags=["economy"],
                   published_at="2030-01-01T00:00:00Z")
    assert (live["status"], ahead["status"]) == ("published", "scheduled")

    for path in FEEDS:  # no longer pinned to the top of every feed
        assert _feed_titles(client, path) == [live["title"]]
    assert [item["title"] for item in client.get("/feeds/all.json").get_json()["items"]] == [live["title"]]
    for path in PUBLIC_PAGES:
        text = client.get(path).get_data(as_text=True)
        assert live["title"] in text and ahead["title"] not in text, path
    assert "Viewing results 1 - 1 of 1" in client.get("/kazakhstan").get_data(as_text=True)
    home = lxml.html.fromstring(client.get("/").data)
    # The home page's Kazakhstan block counts it, and only it.
    assert home.xpath("string(//section[@class='country-block']/h2/span)") == "1 story"
    for url in (ahead["url"], f"/articles/{ahead['id']}"):
        assert client.get(url).status_code == 404  # not yet, and no hint that it exists

    assert _api_titles(client) == [(live["title"], "published")]
    assert client.get(f"/api/articles/{ahead['id']}").status_code == 404
    both = [(ahead["title"], "scheduled"), (live["title"], "published")]
    assert _api_titles(client, **auth_headers) == both
    item = client.get(f"/api/articles/{ahead['id']}", headers=auth_headers)
    assert item.get_json()["status"] == "scheduled" and item.headers["Vary"] == "Authorization"
    assert client.get("/api/articles", headers={"Authorization": "Bearer fsv_wrong"}).status_code == 401

    exported = [json.loads(line) for line in runner.invoke(args=["articles", "export"]).output.splitlines()]
    assert [(a["title"], a["status"]) for a in exported] == both


def test_a_scheduled_article_goes_live_at_its_time_without_a_write(app, client, create) -> None:
    create(title="Earlier story", countries=["kazakhstan"], published_at="2025-04-02T08:30:00Z")
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3)
    ahead = create(title="Story at its time", countries=["kazakhstan"], published_at=due.isoformat())
    paths = ("/feeds/kazakhstan.atom", "/feeds/all.json", "/kazakhstan", "/embed/kazakhstan")
    before = {path: client.get(path) for path in paths}
    assert all(ahead["title"] not in response.get_data(as_text=True) for response in before.values())
    revisions = markers(app)

    while datetime.now(UTC) <= due:  # wait for the clock to pass the article's time
        time.sleep(0.05)

    for path, old in before.items():
        after = client.get(path, headers={"If-None-Match": old.headers["ETag"]})
        assert after.status_code == 200 and after.headers["ETag"] != old.headers["ETag"], path
        assert ahead["title"] in after.get_data(as_text=True), path
    feed = client.get("/feeds/kazakhstan.atom", headers={"If-Modified-Since": before[paths[0]].headers[
        "Last-Modified"]})
    assert feed.status_code == 200 and feed.headers["Last-Modified"] == http_date(due)
    parsed = feedparser.parse(feed.data)
    assert parsed.entries[0].title == ahead["title"] and parsed.feed.updated_parsed == due.utctimetuple()
    assert client.get(ahead["url"]).status_code == 200
    assert markers(app) == revisions  # nothing was written


def test_a_scheduled_id_answers_exactly_as_a_missing_one_without_a_valid_token(client, create) -> None:
    ahead = create(title="Not yet", countries=["kazakhstan"], published_at="2030-01-01T00:00:00Z")
    missing = ahead["id"] + 1  # as many digits: even Content-Length must not tell them apart
    assert len(str(missing)) == len(str(ahead["id"]))

    def answer(article_id: int, headers: dict[str, str]) -> tuple[int, str, list[tuple[str, str]]]:
        response = client.get(f"/api/articles/{article_id}", headers=headers)
        body = response.get_data(as_text=True).replace(f"id {article_id}", "id N")
        return response.status_code, body, sorted(response.headers.items())  # every header, in full

    for headers in ({}, {"Authorization": "Bearer fsv_junk"}, {"Authorization": "Basic Zm9vOmJhcg=="}):
        scheduled, absent = answer(ahead["id"], headers), answer(missing, headers)
        assert scheduled == absent, headers
        assert scheduled[0] in (401, 404)
