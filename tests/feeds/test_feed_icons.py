"""Channel images: every feed names an icon and logo that the app itself serves, of the sizes it declares."""

from __future__ import annotations

import json
import struct
from urllib.parse import urlsplit

import feedparser
from lxml import etree, html


def png_size(client, url: str) -> tuple[int, int]:
    """Width and height of the PNG the app serves at ``url`` (from its IHDR chunk)."""
    with client.get(urlsplit(url).path) as response:  # a file response: closed, or it warns
        assert response.status_code == 200, url
        assert response.content_type == "image/png"
        data = response.data
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_rss_image_has_url_title_link_and_its_real_size(client) -> None:
    document = etree.fromstring(client.get("/feeds/kazakhstan.rss").data)
    channel = document.find("channel")
    image = channel.find("image")
    assert image.findtext("title") == channel.findtext("title")
    assert image.findtext("link") == channel.findtext("link")
    width, height = png_size(client, image.findtext("url"))
    assert (int(image.findtext("width")), int(image.findtext("height"))) == (width, height)
    assert width <= 144 and height <= 400  # RSS 2.0's limits
    assert feedparser.parse(client.get("/feeds/kazakhstan.rss").data).bozo == 0


def test_atom_icon_is_square_and_logo_two_to_one(client, atom_schema) -> None:
    document = etree.fromstring(client.get("/feeds/all.atom").data)
    assert atom_schema.validate(document), atom_schema.error_log
    atom = "{http://www.w3.org/2005/Atom}"
    width, height = png_size(client, document.findtext(f"{atom}icon"))
    assert width == height
    width, height = png_size(client, document.findtext(f"{atom}logo"))
    assert width == 2 * height  # RFC 4287 4.2.8: a logo SHOULD be twice as wide as high


def test_json_feed_icon_and_favicon_are_square(client) -> None:
    feed = json.loads(client.get("/feeds/tajikistan.json").data)
    icon, favicon = png_size(client, feed["icon"]), png_size(client, feed["favicon"])
    assert icon[0] == icon[1] >= 512  # JSON Feed 1.1: icon 512 x 512, favicon 64 x 64
    assert favicon[0] == favicon[1] == 64


def test_pages_link_the_favicon(client) -> None:
    page = html.fromstring(client.get("/").data)
    [href] = page.xpath("//link[@rel='icon']/@href")
    assert png_size(client, href) == (64, 64)
