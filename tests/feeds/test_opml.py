"""/feeds.opml: OPML 2.0, one outline per country feed, absolute URLs."""

from __future__ import annotations

from lxml import etree


def test_opml_lists_the_all_countries_feed_and_every_country_feed_with_absolute_urls(client):
    response = client.get("/feeds.opml")
    assert response.status_code == 200
    assert response.content_type == "text/x-opml; charset=utf-8"
    opml = etree.fromstring(response.data)
    assert opml.get("version") == "2.0"
    outlines = opml.findall("body/outline")
    assert [o.get("text") for o in outlines] == ["Central Asia, all countries", "Kazakhstan", "Kyrgyzstan",
                                                 "Tajikistan", "Turkmenistan", "Uzbekistan"]
    assert outlines[0].get("xmlUrl") == "http://localhost/feeds/all.rss"
    assert outlines[0].get("htmlUrl") == "http://localhost/"
    assert outlines[1].get("xmlUrl") == "http://localhost/feeds/kazakhstan.rss"
    assert outlines[1].get("htmlUrl") == "http://localhost/kazakhstan"
    assert all(o.get("type") == "rss" for o in outlines)
    for outline in outlines:  # every listed feed is really there
        assert client.get(outline.get("xmlUrl").removeprefix("http://localhost")).status_code == 200


def test_opml_honours_the_public_url_and_conditional_get(app_factory):
    client = app_factory(PUBLIC_URL="https://news.example.org").test_client()
    first = client.get("/feeds.opml")
    assert b'xmlUrl="https://news.example.org/feeds/kazakhstan.rss"' in first.data
    assert client.get("/feeds.opml", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_opml_errors_are_json(client):
    response = client.get("/feeds.opml?country=kazakhstan")
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400
