"""The desk's identity from the environment, everywhere a reader sees a name; and never the software's name.

FEEDSVC_SITE_NAME, _TAGLINE, _LOGO, FEEDSVC_PUBLISHER and FEEDSVC_LANGUAGE reach the masthead, page titles,
feed titles and authors, OPML, JSON-LD, Open Graph, oEmbed, the embed frames and the news sitemap.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import lxml.html
import pytest
from lxml import etree

from config import parse_identity
from feedsvc.articles.store import create_article
from feedsvc.core.db import new_session

ATOM = "{http://www.w3.org/2005/Atom}"
OXUS = {"FEEDSVC_SITE_NAME": "Oxus Desk", "FEEDSVC_SITE_TAGLINE": "Country by country",
        "FEEDSVC_PUBLISHER": "Oxus Desk Media", "FEEDSVC_SITE_LOGO": "https://cdn.example.org/oxus.svg",
        "FEEDSVC_LANGUAGE": "en-GB"}
READER_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder", "content")


def _story(app) -> int:
    with app.app_context(), new_session() as session:
        article = create_article(session, {"title": "Dam opens", "summary": "Water", "tags": ["water"],
                                           "countries": ["kazakhstan"], "image_url": "/assets/demo/dam.png",
                                           "image_width": 800, "image_height": 450,
                                           "published_at": datetime.now(UTC) - timedelta(hours=1)})
        session.commit()
        return article.id


@pytest.fixture
def oxus(app_factory):
    """The app of a desk that named itself, with one story."""
    app = app_factory(SITE=parse_identity(OXUS))
    return app, _story(app)


def test_the_desks_name_reaches_every_place_a_reader_sees_one(oxus) -> None:
    app, article_id = oxus
    client = app.test_client()
    home = lxml.html.fromstring(client.get("/").data)
    assert home.get("lang") == "en-GB"
    assert home.findtext(".//title") == "Oxus Desk: Country by country"
    logo = home.xpath("//a[@class='brand']/img")[0]
    assert (logo.get("src"), logo.get("alt")) == ("https://cdn.example.org/oxus.svg", "Oxus Desk")
    page = lxml.html.fromstring(client.get(f"/articles/{article_id}/dam-opens").data)
    assert page.findtext(".//title") == "Dam opens · Oxus Desk"
    assert page.xpath("//meta[@property='og:site_name']/@content") == ["Oxus Desk"]
    publisher = json.loads(page.xpath("//script[@type='application/ld+json']")[0].text)["publisher"]
    assert publisher["name"] == "Oxus Desk Media"
    assert publisher["logo"] == {"@type": "ImageObject", "url": "https://cdn.example.org/oxus.svg"}
    rss = etree.fromstring(client.get("/feeds/kazakhstan.rss").data).find("channel")
    assert (rss.findtext("title"), rss.findtext("language")) == ("Kazakhstan · Oxus Desk", "en-GB")
    assert rss.findtext("description") == "The latest news from Kazakhstan, by Oxus Desk Media."
    atom = etree.fromstring(client.get("/feeds/all.atom").data)
    assert atom.findtext(f"{ATOM}author/{ATOM}name") == "Oxus Desk Media"
    assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    # The headlines widget heads itself with the JSON Feed's title.
    assert client.get("/feeds/kazakhstan.json").get_json()["title"] == "Kazakhstan · Oxus Desk"
    for path in ("/feeds.opml", "/feeds/all.opml"):
        assert etree.fromstring(client.get(path).data).findtext("head/title").startswith("Oxus Desk: ")
    oembed = client.get("/oembed", query_string={"url": "http://localhost/kazakhstan"}).get_json()
    assert oembed["provider_name"] == "Oxus Desk Media"
    frame = lxml.html.fromstring(client.get(f"/embed/articles/{article_id}").data)
    assert frame.findtext(".//title") == "Dam opens · Oxus Desk" and frame.get("lang") == "en-GB"
    news = client.get("/sitemap-news.xml").get_data(as_text=True)
    assert "<news:name>Oxus Desk</news:name>" in news


def test_a_logo_in_the_instance_folder_is_served(app_factory, tmp_path) -> None:
    (tmp_path / "oxus.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')
    app = app_factory(SITE=parse_identity({"FEEDSVC_SITE_LOGO": "oxus.svg"}), INSTANCE_PATH=str(tmp_path))
    client = app.test_client()
    assert lxml.html.fromstring(client.get("/").data).xpath("//a[@class='brand']/img/@src") == ["/site/logo"]
    with client.get("/site/logo") as logo:  # a file response: closed when read
        assert logo.status_code == 200 and logo.mimetype == "image/svg+xml" and logo.data.startswith(b"<svg")
    with client.get("/site/logo", headers={"If-None-Match": logo.headers["ETag"]}) as again:
        assert again.status_code == 304


def test_without_a_logo_file_its_route_is_a_404(client) -> None:
    assert client.get("/site/logo").status_code == 404


def _reader_text(html: bytes) -> str:
    """What a reader of a page sees or hears: its title, text and the attributes read aloud or shown."""
    doc = lxml.html.fromstring(html)
    for hidden in doc.xpath("//script | //style"):
        hidden.drop_tree()
    attributes = [value for name in READER_ATTRIBUTES for value in doc.xpath(f"//@{name}")]
    return " ".join([doc.text_content(), *attributes])


def test_the_software_is_never_named_to_a_reader(app, client) -> None:
    article_id = _story(app)
    pages = ["/", "/kazakhstan", f"/articles/{article_id}/dam-opens", "/tags/water", "/search?q=dam",
             "/rates", "/embed", "/nowhere", f"/embed/articles/{article_id}", "/embed/kazakhstan",
             "/embed/rates"]
    seen = [_reader_text(client.get(path).data) for path in pages]
    for fmt in ("rss", "atom"):
        root = etree.fromstring(client.get(f"/feeds/all.{fmt}").data)
        # A reader shows titles, descriptions, authors; <generator> names the software for machines.
        seen += [el.text or "" for el in root.iter() if el.tag.split("}")[-1] in (
            "title", "description", "subtitle", "name", "summary")]
    feed = client.get("/feeds/all.json").get_json()
    seen += [feed["title"], feed["description"], json.dumps(feed["authors"])]
    seen += [etree.fromstring(client.get(path).data).findtext("head/title") for path in ("/feeds.opml",
                                                                                         "/feeds/all.opml")]
    oembed = client.get("/oembed", query_string={"url": "http://localhost/"}).get_json()
    seen += [oembed["provider_name"], oembed["title"]]
    assert [text for text in seen if "feedsvc" in text.lower()] == []
    assert "Central Asia News" in seen[0]  # the neutral default instead
