"""Article pages for sharers and search engines: Open Graph, Twitter card and NewsArticle JSON-LD.

They must state the feeds' facts (compared with the JSON Feed item of the same article), absolute URLs,
the author's name without the address, and stay inert: a hostile title never becomes a script.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from lxml import html

HOSTILE = "</script><script>window.__xss = 1</script>"
ARTICLE = {
    # Markup is stripped at write time; a tag typed as entities is kept as typed (never decoded into markup).
    "title": "Dam deal " + HOSTILE.replace("<", "&lt;").replace(">", "&gt;") + " & more",
    "summary": "Both sides \"agree\" on <b>water</b>.", "countries": ["kyrgyzstan", "kazakhstan"],
    "tags": ["water", "energy"], "author": "Desk & Co <desk@example.org>",
    "image_url": "https://images.example.org/dam.jpg", "published_at": "2026-11-03T08:00:00Z",
}


@pytest.fixture
def post_article(client, auth_headers) -> Callable[..., dict]:
    """Create ARTICLE (with ``changes``) through the API; return the API's answer."""

    def post(**changes: object) -> dict:
        response = client.post("/api/articles", json={**ARTICLE, **changes}, headers=auth_headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return post


def head_of(client, url: str) -> tuple[dict[str, list[str]], dict, html.HtmlElement]:  # noqa: ANN001
    """The page's meta tags (property or name → contents), its JSON-LD, and its document."""
    doc = html.fromstring(client.get(urlsplit(url).path).data)
    metas: dict[str, list[str]] = {}
    for meta in doc.xpath("//head/meta[@property or @name]"):
        metas.setdefault(meta.get("property") or meta.get("name"), []).append(meta.get("content"))
    (script,) = doc.xpath("//script")  # the JSON-LD is the page's only script element
    assert script.get("type") == "application/ld+json"
    return metas, json.loads(script.text), doc


def test_meta_states_the_feeds_facts(client, post_article):
    article = post_article()
    (item,) = client.get("/feeds/kyrgyzstan.json").get_json()["items"]
    metas, data, doc = head_of(client, article["url"])
    assert data["@type"] == "NewsArticle" and data["@context"] == "https://schema.org"
    assert data["headline"] == item["title"] == metas["og:title"][0] == metas["twitter:title"][0]
    assert HOSTILE.replace("<", "&lt;").replace(">", "&gt;") in data["headline"]  # kept as typed, whole
    assert data["description"] == item["summary"] == metas["og:description"][0]
    assert item["summary"] == 'Both sides "agree" on water.'
    assert data["datePublished"] == item["date_published"] == metas["article:published_time"][0]
    assert data["dateModified"] == item["date_modified"] == metas["article:modified_time"][0]
    assert data["image"] == [item["image"]] == metas["og:image"] == metas["twitter:image"]
    assert metas["twitter:card"] == ["summary_large_image"]
    url = item["url"]
    assert data["mainEntityOfPage"] == {"@type": "WebPage", "@id": url} and metas["og:url"] == [url]
    assert doc.xpath("//link[@rel='canonical']/@href") == [url]
    byline = doc.xpath("//span[@class='author']")[0].text_content()
    assert [a["name"] for a in data["author"]] == [byline] == ["Desk & Co"]
    assert "desk@example.org" not in html.tostring(doc.head, encoding="unicode")
    assert data["publisher"]["@type"] == "Organization" and data["publisher"]["name"]
    assert set(metas["article:tag"]) == set(data["keywords"]) == {"water", "energy"}


def test_meta_urls_use_the_public_url(app_factory, auth_headers_for):
    app = app_factory(PUBLIC_URL="https://news.example.org/desk")
    client, headers = auth_headers_for(app)
    created = client.post("/api/articles", json={**ARTICLE, "image_url": None}, headers=headers).get_json()
    metas, data, doc = head_of(client, created["url"].removeprefix("https://news.example.org/desk"))
    url = created["url"]
    assert url.startswith("https://news.example.org/desk/articles/")
    assert metas["og:url"] == [url] and data["mainEntityOfPage"]["@id"] == url
    assert data["publisher"]["url"] == "https://news.example.org/desk/"
    assert "image" not in data and "og:image" not in metas and metas["twitter:card"] == ["summary"]


@pytest.fixture
def auth_headers_for() -> Callable:
    """A client of ``app`` and headers with a fresh token of it."""

    def make(app) -> tuple:  # noqa: ANN001 - a Flask app
        result = app.test_cli_runner().invoke(args=["token", "create", "meta"])
        return app.test_client(), {"Authorization": f"Bearer {result.output.strip()}"}

    return make


@pytest.fixture
def site(app, serve_wsgi) -> Iterator[str]:  # noqa: ANN001
    """The app served for real on 127.0.0.1."""
    yield from serve_wsgi(app)


def test_json_ld_is_inert_and_csp_clean_in_a_browser(browser, site, post_article):
    path = urlsplit(post_article(image_url=None)["url"]).path  # no image: only loopback traffic
    context = browser.new_context()  # scripts enabled: a title that broke out would run (or hit the CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(site + path)
    assert page.evaluate("window.__xss") is None
    assert page.evaluate("document.scripts.length") == 1
    data = page.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').text)")
    assert data["headline"] == page.locator("h1").inner_text()
    assert errors == []  # no Content-Security-Policy violation
    context.close()


def test_each_request_links_for_its_own_host_in_a_shared_app_context(app, client, post_article) -> None:
    # Routes are kept per request (core/urls.py); a script or test may hold one app context over many.
    created = post_article()
    path = urlsplit(created["url"]).path
    with app.app_context():
        for host in ("one.example.org", "two.example.org:8443"):
            listed = client.get("/api/articles", headers={"Host": host}).get_json()
            assert [item["url"] for item in listed["items"]] == [f"http://{host}{path}"]
            page = html.fromstring(client.get(path, headers={"Host": host}).data)
            assert page.xpath("//link[@rel='canonical']/@href") == [f"http://{host}{path}"]
            home = html.fromstring(client.get("/", headers={"Host": host}).data)
            assert path in home.xpath("//a/@href")
