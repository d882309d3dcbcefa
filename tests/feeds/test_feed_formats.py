"""Every feed format parses cleanly, validates, and carries the right items in the right order."""

from __future__ import annotations

import json
import re

import feedparser
import pytest
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                    r"\d{4} \d\d:\d\d:\d\d \+0000$")


@pytest.fixture
def three(add_article):
    """Three Kazakhstan articles (the last is newest) and one about Tajikistan only."""
    ids = [
        add_article(title="First & 1 < 2", summary="One", content_html="<p>1</p>", tags=["economy"]),
        add_article(title="Second", summary="Two", content_html="<p>2 <b>bold</b></p>",
                    countries=["kazakhstan", "kyrgyzstan"], author="Staff <desk@example.org>",
                    image_url="https://example.org/a.jpg", language="ru"),
        add_article(title="Third, newest", content_html="<p>3</p>"),
    ]
    add_article(title="Elsewhere", countries=["tajikistan"])
    return ids


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_feedparser_reads_every_format_cleanly_newest_first(client, three, fmt):
    response = client.get(f"/feeds/kazakhstan.{fmt}")
    assert response.status_code == 200
    parsed = feedparser.parse(response.data)
    if fmt != "json":  # feedparser 6 does not read JSON Feed; checked below
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        assert [e.title for e in parsed.entries] == ["Third, newest", "Second", "First & 1 < 2"]
        assert parsed.entries[1].id == f"urn:uuid:{_uuid(client, three[1])}"


def _uuid(client, article_id):
    return client.get(f"/api/articles/{article_id}").get_json()["uuid"]


def test_content_types(client, three):
    assert client.get("/feeds/kazakhstan.rss").content_type == "application/rss+xml; charset=utf-8"
    assert client.get("/feeds/kazakhstan.atom").content_type == "application/atom+xml; charset=utf-8"
    assert client.get("/feeds/kazakhstan.json").content_type == "application/feed+json; charset=utf-8"


def test_rss_has_self_link_guids_dates_creator_and_content(client, three):
    channel = etree.fromstring(client.get("/feeds/kazakhstan.rss").data).find("channel")
    self_link = channel.find(f"{ATOM}link")
    assert self_link.get("rel") == "self"
    assert self_link.get("href") == "http://localhost/feeds/kazakhstan.rss"
    assert channel.findtext("link") == "http://localhost/kazakhstan"
    assert channel.findtext("lastBuildDate") == "Sat, 01 Mar 2025 11:00:00 +0000"  # the last write
    items = channel.findall("item")
    guid = items[1].find("guid")
    assert guid.get("isPermaLink") == "false" and guid.text.startswith("urn:uuid:")
    assert all(RFC822.match(item.findtext("pubDate")) for item in items)
    assert items[1].findtext("{http://purl.org/dc/elements/1.1/}creator") == "Staff"  # the name alone
    assert items[1].find("author") is None  # RSS <author> must be an e-mail address
    # The lead image first, so readers that show only the content show it too.
    lead = '<figure><img src="https://example.org/a.jpg" alt=""></figure>'
    content = items[1].findtext("{http://purl.org/rss/1.0/modules/content/}encoded")
    assert content == lead + "<p>2 <b>bold</b></p>"
    assert items[1].find("enclosure") is None  # another host's image: its length is unknown
    assert items[1].findtext("description") == "Two"
    assert [c.text for c in items[1].findall("category")] == ["kazakhstan", "kyrgyzstan"]  # the Atom terms
    assert items[1].find("{http://search.yahoo.com/mrss/}thumbnail").get("url") == "https://example.org/a.jpg"
    assert items[1].find("{http://search.yahoo.com/mrss/}group") is None
    assert items[1].findtext("link") == f"http://localhost/articles/{three[1]}/second"


def test_atom_validates_against_rfc4287_schema(client, three, atom_schema):
    feed = etree.fromstring(client.get("/feeds/kazakhstan.atom").data)
    assert atom_schema.validate(feed), atom_schema.error_log
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert feed.findtext(f"{ATOM}updated") == "2025-03-01T11:00:00+00:00"
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "http://localhost/feeds/kazakhstan.atom"
    entries = feed.findall(f"{ATOM}entry")
    assert entries[1].get("{http://www.w3.org/XML/1998/namespace}lang") == "ru"
    assert entries[1].find(f"{ATOM}content").get("type") == "html"
    assert entries[1].findtext(f"{ATOM}summary") == "Two"
    assert entries[1].findtext(f"{ATOM}published") == "2025-03-01T10:00:00+00:00"
    assert [c.get("term") for c in entries[0].findall(f"{ATOM}category")] == ["kazakhstan"]


def test_empty_feed_validates_and_uses_a_fixed_time(client, atom_schema):
    first = client.get("/feeds/uzbekistan.atom")
    assert atom_schema.validate(etree.fromstring(first.data)), atom_schema.error_log
    assert feedparser.parse(client.get("/feeds/uzbekistan.rss").data).bozo == 0
    assert client.get("/feeds/uzbekistan.atom").data == first.data


def test_json_feed_has_the_fields_the_widget_reads(client, three):
    feed = json.loads(client.get("/feeds/kazakhstan.json").data)
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "http://localhost/feeds/kazakhstan.json"
    assert [item["title"] for item in feed["items"]] == ["Third, newest", "Second", "First & 1 < 2"]
    item = feed["items"][1]
    assert item["id"] == f"urn:uuid:{_uuid(client, three[1])}"
    assert item["url"] == f"http://localhost/articles/{three[1]}/second"
    lead = '<figure><img src="https://example.org/a.jpg" alt=""></figure>'
    assert item["content_html"] == lead + "<p>2 <b>bold</b></p>"
    assert item["summary"] == "Two"
    assert item["date_published"] == "2025-03-01T10:00:00Z"
    assert item["date_modified"] == "2025-03-01T10:00:00Z"
    assert item["tags"] == ["kazakhstan", "kyrgyzstan"]
    assert item["authors"] == [{"name": "Staff"}]
    assert item["image"] == "https://example.org/a.jpg"
    assert item["language"] == "ru"


@pytest.mark.parametrize("fmt", ["rss", "atom", "json"])
def test_same_data_gives_same_bytes(app_factory, three, fmt):
    # Two apps = two processes with separate caches: the bytes must still be identical.
    first = app_factory().test_client().get(f"/feeds/all.{fmt}")
    second = app_factory().test_client().get(f"/feeds/all.{fmt}")
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]


def test_all_feed_has_every_country(client, three):
    parsed = feedparser.parse(client.get("/feeds/all.atom").data)
    assert [e.title for e in parsed.entries][0] == "Elsewhere"
    assert len(parsed.entries) == 4


def test_public_url_is_used_for_every_link(app_factory, add_article):
    app = app_factory(PUBLIC_URL="https://news.example.org")
    add_article(title="Public")
    feed = json.loads(app.test_client().get("/feeds/kazakhstan.json").data)
    assert feed["feed_url"] == "https://news.example.org/feeds/kazakhstan.json"
    assert feed["items"][0]["url"].startswith("https://news.example.org/articles/")
