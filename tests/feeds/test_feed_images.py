"""The lead image in every reader: media:content, an RSS enclosure of its true length, first in content."""

from __future__ import annotations

import json
from pathlib import Path

import feedparser
import pytest
from lxml import etree

import feedsvc

ATOM = "{http://www.w3.org/2005/Atom}"
MEDIA = "{http://search.yahoo.com/mrss/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DAM = Path(feedsvc.__file__).parent / "web" / "static" / "demo" / "dam.png"
ALT = "A dam between green hills"
IMAGE = "https://desk.example.org/assets/demo/dam.png"
FIGURE = f'<figure><img src="{IMAGE}" alt="{ALT}" width="800" height="450"></figure>'


@pytest.fixture
def own_image(add_article) -> int:
    """An article whose lead image is the site's own file, stored as a path on the site."""
    return add_article(title="Dam", summary="Water", content_html='<p>See <a href="/kazakhstan">more</a></p>',
                       image_url="/assets/demo/dam.png", image_width=800, image_height=450, image_alt=ALT)


def test_rss_gives_the_image_as_enclosure_of_its_true_length_and_first_in_the_content(client, own_image):
    response = client.get("/feeds/kazakhstan.rss", base_url="https://desk.example.org")
    assert feedparser.parse(response.data).bozo == 0
    item = etree.fromstring(response.data).find("channel/item")
    enclosure = item.find("enclosure")
    assert enclosure.attrib == {"url": "https://desk.example.org/assets/demo/dam.png",
                                "length": str(DAM.stat().st_size), "type": "image/png"}
    content = item.findtext(CONTENT)
    link = '<a href="https://desk.example.org/kazakhstan" rel="noopener noreferrer">more</a>'
    assert content == f"{FIGURE}<p>See {link}</p>"
    media = item.find(f"{MEDIA}content")
    assert (media.get("url"), media.get("type"), media.get("width"), media.get("height")) == (
        "https://desk.example.org/assets/demo/dam.png", "image/png", "800", "450")


def test_atom_gives_the_image_first_in_the_content_and_no_enclosure_link(client, own_image, atom_schema):
    feed = etree.fromstring(client.get("/feeds/kazakhstan.atom", base_url="https://desk.example.org").data)
    assert atom_schema.validate(feed), atom_schema.error_log
    entry = feed.find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}content").startswith(FIGURE)
    # feedgen would write an enclosure as a link that loses its rel: a second alternate link.
    assert len(entry.findall(f"{ATOM}link")) == 1


def test_json_feed_gives_the_image_and_puts_it_first_in_the_content(client, own_image):
    item = json.loads(client.get("/feeds/all.json", base_url="https://desk.example.org").data)["items"][0]
    assert item["image"] == "https://desk.example.org/assets/demo/dam.png"
    assert item["content_html"].startswith(FIGURE)


def test_each_address_gets_the_image_on_its_own_base(client, own_image):
    for base in ("http://127.0.0.1:8601", "http://127.0.0.1:8000"):
        item = etree.fromstring(client.get("/feeds/kazakhstan.rss", base_url=base).data).find("channel/item")
        assert item.find("enclosure").get("url") == f"{base}/assets/demo/dam.png"


def test_an_image_without_body_or_size_is_the_whole_content(client, add_article):
    add_article(title="Picture only", summary="A caption", image_url="https://images.example.org/a%20b.jpg?w=8")
    item = etree.fromstring(client.get("/feeds/kazakhstan.rss").data).find("channel/item")
    image = "https://images.example.org/a%20b.jpg?w=8"
    assert item.findtext(CONTENT) == f'<figure><img src="{image}" alt=""></figure>'
    assert item.find("enclosure") is None  # another host's file: no length to give, so no enclosure
    assert item.find(f"{MEDIA}content").get("type") == "image/jpeg"
