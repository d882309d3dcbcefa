"""A feed with a WebSub hub is subscribed to and pushed to, not polled; pushes are checked by HMAC."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
from feed_replay import FEED, RSS, FeedServer
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug import Request, Response

from feedsvc.articles.upstreams.schedule import sync_due
from feedsvc.articles.upstreams.sync import sync
from feedsvc.core.models import Article, Upstream

NEW_ITEM = """<item>
		<title>Tashkent metro extension opens</title>
		<link>https://steppe-desk.example/2026/01/07/tashkent-metro/</link>
		<pubDate>Wed, 07 Jan 2026 10:00:00 +0500</pubDate>
		<category><![CDATA[Kazakhstan]]></category>
		<guid isPermaLink="false">https://steppe-desk.example/?p=4320</guid>
		<description><![CDATA[Four new stations.]]></description>
		</item>
		<item>"""


class Hub:
    """A WebSub hub: takes subscriptions (202), and verifies or delivers when the test says so."""

    def __init__(self) -> None:
        self.subscriptions: list[dict[str, str]] = []

    def __call__(self, environ: dict, start_response):
        self.subscriptions.append(Request(environ).form.to_dict())
        return Response(status=202)(environ, start_response)

    def verify(self, challenge: str = "challenge-4d2", topic: str | None = None) -> requests.Response:
        """Check the subscriber's intent as a hub does: GET its callback with a challenge."""
        asked = self.subscriptions[-1]
        return requests.get(asked["hub.callback"], timeout=10, params={
            "hub.mode": "subscribe", "hub.topic": topic or asked["hub.topic"], "hub.challenge": challenge,
            "hub.lease_seconds": "86400"})

    def publish(self, body: bytes, secret: str | None = None, method: str = "sha256") -> requests.Response:
        """Deliver the topic's new content, signed with the subscription's secret."""
        asked = self.subscriptions[-1]
        key = (secret or asked["hub.secret"]).encode()
        signature = f"{method}={hmac.new(key, body, getattr(hashlib, method)).hexdigest()}"
        return requests.post(asked["hub.callback"], data=body, timeout=10, headers={
            "Content-Type": "application/rss+xml", "X-Hub-Signature": signature})


def _titles(app) -> list[str]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return sorted(session.scalars(select(Article.title)))


def test_a_feed_with_a_hub_is_pushed_to_without_polling(app_factory, serve, add_upstream) -> None:
    served: dict = {}
    origin = serve(lambda environ, start_response: served["app"](environ, start_response))
    app = served["app"] = app_factory(PUBLIC_URL=origin)
    hub, feed = Hub(), FeedServer("")
    hub_url, feed_origin = serve(hub), serve(feed)
    feed.body = RSS.replace("{origin}", feed_origin).replace("{hub}", hub_url)
    add_upstream("steppe", feed_origin + "/feed/", *FEED)
    with app.app_context():
        assert sync("steppe").counts.created == 2
    asked = hub.subscriptions[-1]
    assert (asked["hub.mode"], asked["hub.topic"]) == ("subscribe", feed_origin + "/feed/")
    assert asked["hub.callback"] == origin + "/websub/upstreams/steppe" and len(asked["hub.secret"]) == 64
    assert hub.verify(topic="https://elsewhere.example/feed").status_code == 404  # not what we asked for
    verified = hub.verify()
    assert (verified.status_code, verified.text) == (200, "challenge-4d2")
    polls = len(feed.requests)
    with app.app_context():
        sync_due(datetime.now(UTC))  # the scheduler's check: a pushed feed is not due
    assert len(feed.requests) == polls
    pushed = feed.body.replace("<item>", NEW_ITEM, 1).encode()
    assert hub.publish(pushed, secret="not-the-secret").status_code == 403
    assert "Tashkent metro extension opens" not in _titles(app)
    answer = hub.publish(pushed)
    assert answer.status_code == 204, answer.text
    assert "Tashkent metro extension opens" in _titles(app)
    assert hub.publish(pushed, method="sha1").status_code == 204  # older hubs sign with SHA-1
    assert len(feed.requests) == polls  # pushed, never polled
    with Session(app.extensions["feedsvc.engine"]) as session:
        upstream = session.scalars(select(Upstream)).one()
        assert upstream.websub_state == "active" and upstream.websub_expires_at > datetime.now(UTC)


def test_a_push_for_an_unknown_upstream_or_without_a_signature_is_refused(app_factory, client) -> None:
    app_factory()
    assert client.post("/websub/upstreams/nobody", data=b"<rss/>").status_code == 410
    assert client.get("/websub/upstreams/nobody?hub.mode=subscribe&hub.challenge=x").status_code == 404
    assert client.get("/websub/upstreams/nobody").get_json()["error"]["status"] == 404


def test_without_a_public_url_the_hub_is_named_and_the_feed_polled(app, serve, add_upstream, runner) -> None:
    hub, feed = Hub(), FeedServer("")
    hub_url, feed_origin = serve(hub), serve(feed)
    feed.body = RSS.replace("{origin}", feed_origin).replace("{hub}", hub_url)
    add_upstream("steppe", feed_origin + "/feed/", *FEED)
    with app.app_context():
        sync("steppe")
    assert hub.subscriptions == []
    listing = runner.invoke(args=["upstreams", "list"]).output
    assert f"the feed names the hub {hub_url}, but without FEEDSVC_PUBLIC_URL" in listing
    assert urlsplit(hub_url).hostname == "127.0.0.1"
