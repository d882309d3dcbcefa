"""The two OPML documents: every country (/feeds.opml) and everything (/feeds/all.opml), absolute URLs.

Two documents, because a reader subscribed to both the all-countries feed and a country's feed gets that
country's stories twice (most readers don't drop duplicates across feeds).
"""

from __future__ import annotations

from lxml import etree


def _outlines(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.content_type == "text/x-opml; charset=utf-8"
    opml = etree.fromstring(response.data)
    assert opml.get("version") == "2.0"
    assert all(o.get("type") == "rss" for o in opml.findall("body/outline"))
    return opml.findtext("head/title"), opml.findall("body/outline")


def test_every_country_is_one_outline_each_and_no_all_countries_feed(client):
    title, outlines = _outlines(client, "/feeds.opml")
    assert title == "Central Asia News: every country"
    assert [o.get("text") for o in outlines] == ["Kazakhstan", "Kyrgyzstan", "Tajikistan", "Turkmenistan",
                                                 "Uzbekistan"]
    assert outlines[0].get("xmlUrl") == "http://localhost/feeds/kazakhstan.rss"
    assert outlines[0].get("htmlUrl") == "http://localhost/kazakhstan"
    for outline in outlines:  # every listed feed is really there
        assert client.get(outline.get("xmlUrl").removeprefix("http://localhost")).status_code == 200


def test_everything_is_the_all_countries_feed_alone(client):
    title, outlines = _outlines(client, "/feeds/all.opml")
    assert title == "Central Asia News: everything"
    assert [(o.get("text"), o.get("xmlUrl"), o.get("htmlUrl")) for o in outlines] == [
        ("Central Asia, all countries", "http://localhost/feeds/all.rss", "http://localhost/")]


def test_opml_honours_the_public_url_and_conditional_get(app_factory):
    client = app_factory(PUBLIC_URL="https://news.example.org").test_client()
    for path, feed in (("/feeds.opml", "kazakhstan"), ("/feeds/all.opml", "all")):
        first = client.get(path)
        assert f'xmlUrl="https://news.example.org/feeds/{feed}.rss"'.encode() in first.data
        assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        assert client.get(path + "?x=1").status_code == 400


def test_opml_errors_are_json(client):
    response = client.get("/feeds.opml?country=kazakhstan")
    assert response.status_code == 400
    assert response.get_json()["error"]["status"] == 400
