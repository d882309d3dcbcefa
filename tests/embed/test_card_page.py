"""/embed/articles/<id>: one article as a frameable card, what oEmbed answers for an article page."""

from __future__ import annotations

import lxml.html
import pytest
from playwright.sync_api import expect

from feedsvc.embed.layout import CARD_HEIGHT


@pytest.fixture
def story(client, auth_headers) -> dict:
    """A story with a picture on the site, its size and description, and a summary."""
    body = {"title": "Chu river releases agreed", "summary": "A seasonal schedule for the border.",
            "countries": ["kyrgyzstan", "kazakhstan"], "image_url": "/assets/demo/chu-river.png",
            "image_width": 800, "image_height": 450, "image_alt": "A river under a bridge",
            "published_at": "2026-11-02T08:00:00Z"}
    response = client.post("/api/articles", json=body, headers=auth_headers)
    assert response.status_code == 201
    return response.get_json()


def test_card_shows_the_picture_title_summary_and_link(client, story):
    response = client.get(f"/embed/articles/{story['id']}", base_url="https://news.example.org")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = lxml.html.fromstring(response.data)
    image = page.xpath("//img[@class='card-image']")[0]
    assert (image.get("src"), image.get("alt")) == ("https://news.example.org/assets/demo/chu-river.png",
                                                    "A river under a bridge")
    link = page.xpath("//h1[@class='card-title']/a")[0]
    assert link.text == "Chu river releases agreed" and link.get("target") == "_blank"
    assert link.get("href") == f"https://news.example.org/articles/{story['id']}/chu-river-releases-agreed"
    assert page.xpath("string(//p[@class='card-summary'])") == "A seasonal schedule for the border."
    assert page.xpath("string(//p[@class='card-kicker'])") == "Kazakhstan"  # the first, in the site's order
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "img-src 'self' https:" in csp and "script-src 'self'" in csp
    again = client.get(f"/embed/articles/{story['id']}", base_url="https://news.example.org",
                       headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_oembed_of_the_article_names_its_picture(client, story):
    answer = client.get("/oembed", query_string={"url": story["url"]}).get_json()
    assert answer["thumbnail_url"] == "http://localhost/assets/demo/chu-river.png"
    assert (answer["thumbnail_width"], answer["thumbnail_height"]) == (800, 450)


@pytest.mark.parametrize(("path", "status"), [("/embed/articles/999999", 404),
                                              ("/embed/articles/1?theme=pink", 400),
                                              ("/embed/articles/1?colour=red", 400)])
def test_mistakes_are_explained_inside_the_frame(client, story, path, status):
    response = client.get(path.replace("/1?", f"/{story['id']}?"))
    assert response.status_code == status and response.mimetype == "text/html"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_card_fits_its_frame_and_grows_on_a_narrow_one(browser, host, service, story):
    site, origin = host
    for name, width in (("wide", 600), ("narrow", 320)):
        frame = (f'<iframe src="SVC/embed/articles/{story["id"]}" title="Card" width="{width}" '
                 f'height="{CARD_HEIGHT}" style="border:0" frameborder="0"></iframe>'
                 '<script src="SVC/embed/v1/frame.js" async></script>')
        site.add(f"/{name}", frame, service, inline_styles=True)
    context = browser.new_context(viewport={"width": 800, "height": 900})
    try:
        page = context.new_page()
        page.goto(origin + "/wide")
        expect(page.frame_locator("iframe").locator(".card-title a")).to_have_count(1)
        inner = page.frame_locator("iframe").locator("html")
        assert inner.evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)") == CARD_HEIGHT
        page.goto(origin + "/narrow")
        expect(page.frame_locator("iframe").locator(".card-image")).to_be_visible()
        # The picture goes on top: the frame reports its taller height and frame.js applies it.
        expect(page.locator("iframe")).not_to_have_attribute("height", str(CARD_HEIGHT))
        height = int(page.locator("iframe").get_attribute("height"))
        content = page.frame_locator("iframe").locator("html").evaluate(
            "() => Math.ceil(document.body.getBoundingClientRect().height)")
        assert height == content > CARD_HEIGHT
    finally:
        context.close()
