"""WebSub: feeds name the hub, and each committed change pings it once per changed feed, off the write path.

The hub is a real HTTP server on 127.0.0.1 (pytest-httpserver) that records every POST.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import feedparser
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from pytest_httpserver import HTTPServer

from config import Config, ConfigError
from feedsvc.articles.store import create_article
from feedsvc.core.db import new_session
from feedsvc.core.websub import EXTENSION
from feedsvc.scheduler import make_scheduler, run_go_live_job

PUBLIC = "https://news.example.org"
FORMATS = ("rss", "atom", "json")


def _hub_app(app_factory, hub_url: str):
    return app_factory(PUBLIC_URL=PUBLIC, WEBSUB_HUB=hub_url, WEBSUB_RETRIES=1, WEBSUB_BACKOFF=0.0)


@pytest.fixture
def app(app_factory, httpserver: HTTPServer):
    """The app with a hub that accepts every ping (202, as the spec's hubs answer)."""
    httpserver.expect_request("/hub", method="POST").respond_with_data("", status=202)
    app = _hub_app(app_factory, httpserver.url_for("/hub"))
    yield app
    app.extensions[EXTENSION].close()


def pings(app, httpserver: HTTPServer) -> list[dict[str, list[str]]]:
    """The form fields of every POST the hub received, once the queued pings are sent."""
    app.extensions[EXTENSION].wait()
    forms = []
    for request, _ in httpserver.log:
        assert request.method == "POST"
        assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
        forms.append(parse_qs(request.get_data(as_text=True), strict_parsing=True))
    httpserver.clear_log()
    return forms


def self_urls(client, *slugs: str, tags: tuple[str, ...] = ()) -> set[str]:
    """The self URL each feed of ``slugs`` (and of each of ``tags`` there) declares: what a subscriber
    asks the hub for."""
    urls = set()
    for slug in slugs:
        for query in ("", *(f"?tag={tag}" for tag in tags)):
            for fmt in ("rss", "atom"):
                parsed = feedparser.parse(client.get(f"/feeds/{slug}.{fmt}{query}").data)
                urls.update(link.href for link in parsed.feed.links if link.rel == "self")
            urls.add(json.loads(client.get(f"/feeds/{slug}.json{query}").data)["feed_url"])
    return urls


def published(forms: list[dict[str, list[str]]]) -> list[str]:
    """The hub.url of each ping, after checking each is a publish notification."""
    assert all(form["hub.mode"] == ["publish"] for form in forms)
    return sorted(url for form in forms for url in form["hub.url"])


def test_every_feed_names_the_hub(client, httpserver: HTTPServer) -> None:
    hub = httpserver.url_for("/hub")
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse(client.get(f"/feeds/kazakhstan.{fmt}").data)
        assert parsed.bozo == 0
        assert [link.href for link in parsed.feed.links if link.rel == "hub"] == [hub]
    feed = json.loads(client.get("/feeds/all.json").data)
    assert feed["hubs"] == [{"type": "WebSub", "url": hub}]


def test_each_write_pings_every_changed_feed_once(app, client, auth_headers, httpserver: HTTPServer) -> None:
    created = client.post("/api/articles", headers=auth_headers,
                          json={"title": "Almaty metro", "countries": ["kazakhstan"]})
    assert created.status_code == 201
    assert published(pings(app, httpserver)) == sorted(self_urls(client, "kazakhstan", "all"))

    url = f"/api/articles/{created.get_json()['id']}"
    moved = client.patch(url, headers=auth_headers, json={"countries": ["kyrgyzstan"]})
    assert moved.status_code == 200
    assert published(pings(app, httpserver)) == sorted(self_urls(client, "kazakhstan", "kyrgyzstan", "all"))

    assert client.patch(url, headers=auth_headers, json={"countries": ["kyrgyzstan"]}).status_code == 200
    assert client.post("/api/articles", headers=auth_headers, json={"title": ""}).status_code == 422
    assert pings(app, httpserver) == []  # nothing changed, nothing committed: nothing to announce

    assert client.delete(url, headers=auth_headers).status_code == 204
    assert published(pings(app, httpserver)) == sorted(self_urls(client, "kyrgyzstan", "all"))


def test_one_commit_of_many_writes_pings_each_feed_once(app, client, httpserver: HTTPServer) -> None:
    with app.app_context(), new_session() as session:
        create_article(session, {"title": "Rolled back", "countries": ["uzbekistan"]})
        session.rollback()  # never committed: Uzbekistan's feeds did not change
        for title in ("One", "Two", "Three"):
            create_article(session, {"title": title, "countries": ["tajikistan"]})
        session.commit()
    assert published(pings(app, httpserver)) == sorted(self_urls(client, "tajikistan", "all"))


def test_a_cli_import_pings_too(app, client, runner, httpserver: HTTPServer, tmp_path) -> None:
    lines = tmp_path / "articles.ndjson"
    lines.write_text("".join(json.dumps({"title": f"Imported {n}", "countries": ["uzbekistan"]}) + "\n"
                             for n in range(3)))
    result = runner.invoke(args=["articles", "import", str(lines)])
    assert result.exit_code == 0, result.output
    # One commit per line: each feed is pinged at least once, and at most once per commit.
    urls = published(pings(app, httpserver))
    assert set(urls) == self_urls(client, "uzbekistan", "all")
    assert len(urls) <= 3 * len(set(urls))


def test_a_failing_hub_is_retried_and_never_fails_the_write(app, client, auth_headers,
                                                            httpserver: HTTPServer, caplog) -> None:
    httpserver.clear_all_handlers()
    httpserver.expect_request("/hub", method="POST").respond_with_data("broken", status=500)
    with caplog.at_level(logging.WARNING, logger="feedsvc.core.websub"):
        created = client.post("/api/articles", headers=auth_headers,
                              json={"title": "Dushanbe", "countries": ["tajikistan"]})
        assert created.status_code == 201
        urls = published(pings(app, httpserver))
    feeds = self_urls(client, "tajikistan", "all")
    assert urls == sorted(list(feeds) * 2)  # each tried twice (WEBSUB_RETRIES=1), then given up
    assert sum("answered 500" in record.getMessage() for record in caplog.records) == len(feeds)
    assert client.get("/feeds/tajikistan.rss").status_code == 200


def test_a_hub_that_is_down_never_fails_the_write(app_factory, auth_headers, caplog) -> None:
    with socket.socket() as probe:  # a port nobody listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = _hub_app(app_factory, f"http://127.0.0.1:{port}/hub")
    try:
        with caplog.at_level(logging.WARNING, logger="feedsvc.core.websub"):
            created = app.test_client().post("/api/articles", headers=auth_headers,
                                             json={"title": "Ashgabat", "countries": ["turkmenistan"]})
            app.extensions[EXTENSION].wait()
    finally:
        app.extensions[EXTENSION].close()
    assert created.status_code == 201
    assert sum("unreachable" in record.getMessage() for record in caplog.records) == 6


@pytest.mark.parametrize(("environ", "message"), [
    ({"FEEDSVC_WEBSUB_HUB": "https://hub.example.org/"}, "needs FEEDSVC_PUBLIC_URL"),
    ({"FEEDSVC_WEBSUB_HUB": "ftp://hub.example.org/", "FEEDSVC_PUBLIC_URL": PUBLIC}, "http/https URL"),
])
def test_a_bad_hub_setting_stops_the_service(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=f"FEEDSVC_WEBSUB_HUB: .*{message}"):
        Config(environ)


def test_the_hub_url_is_kept_as_written() -> None:
    config = Config({"FEEDSVC_WEBSUB_HUB": "https://hub.example.org/publish/", "FEEDSVC_PUBLIC_URL": PUBLIC})
    assert config.WEBSUB_HUB == "https://hub.example.org/publish/"


def test_tag_feeds_are_pinged_for_the_tags_an_article_has_and_had(app, client, auth_headers,
                                                                  httpserver: HTTPServer) -> None:
    article = {"title": "Oil output", "countries": ["kazakhstan"], "tags": ["oil", "economy"]}
    created = client.post("/api/articles", headers=auth_headers, json=article)
    assert created.status_code == 201
    expected = self_urls(client, "kazakhstan", "all", tags=("oil", "economy"))
    assert "https://news.example.org/feeds/kazakhstan.rss?tag=oil" in expected
    assert published(pings(app, httpserver)) == sorted(expected)
    url = f"/api/articles/{created.get_json()['id']}"
    assert client.patch(url, headers=auth_headers, json={"tags": ["energy"]}).status_code == 200
    assert published(pings(app, httpserver)) == sorted(
        self_urls(client, "kazakhstan", "all", tags=("oil", "economy", "energy")))  # left two, joined one


def test_an_article_that_goes_live_is_announced_once_by_any_number_of_schedulers(
        app, app_factory, client, auth_headers, httpserver: HTTPServer) -> None:
    soon = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    created = client.post("/api/articles", headers=auth_headers, json={
        "title": "Embargo lifts", "countries": ["tajikistan"], "tags": ["energy"], "published_at": soon})
    assert created.status_code == 201 and created.get_json()["status"] == "scheduled"
    pings(app, httpserver)  # the write's own pings
    other = _hub_app(app_factory, httpserver.url_for("/hub"))  # a second scheduler process's app
    try:
        run_go_live_job(app)
        assert pings(app, httpserver) == []  # not live yet: nothing to announce
        time.sleep(max(0.0, datetime.fromisoformat(soon).timestamp() - time.time()) + 0.2)
        both = [threading.Thread(target=run_go_live_job, args=(each,)) for each in (app, other)]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join(30)
        other.extensions[EXTENSION].wait()
        urls = published(pings(app, httpserver))
        assert urls == sorted(self_urls(client, "tajikistan", "all", tags=("energy",)))  # each once
        run_go_live_job(other)
        run_go_live_job(app)
        assert pings(app, httpserver) == []  # announced already
    finally:
        other.extensions[EXTENSION].close()


def test_the_go_live_job_is_scheduled_only_with_a_hub(app, app_factory) -> None:
    with_hub = make_scheduler(app, BackgroundScheduler)
    assert "articles-go-live" in {job.id for job in with_hub.get_jobs()}
    without = make_scheduler(app_factory(), BackgroundScheduler)
    assert "articles-go-live" not in {job.id for job in without.get_jobs()}
