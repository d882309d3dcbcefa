"""The headlines iframe page /embed/<country>: content, framing policy, redirects, bad input."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

XSS_TITLE = '<img src=x onerror="window.__xss=1">'
# Markup in titles is stripped at write time; a tag typed as entities stays text, stored as typed
# (and reaches the embeds so).
XSS_TITLE_INPUT = XSS_TITLE.replace("<", "&lt;").replace(">", "&gt;")


class LinkCollector(HTMLParser):
    """Collects every <a> with its attributes and text."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self._open: dict[str, str | None] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open = {**dict(attrs), "text": ""}
            self.links.append(self._open)

    def handle_endtag(self, tag):
        if tag == "a":
            self._open = None

    def handle_data(self, data):
        if self._open is not None:
            self._open["text"] = (self._open["text"] or "") + data


def links_of(html: str) -> list[dict[str, str | None]]:
    parser = LinkCollector()
    parser.feed(html)
    return parser.links


@pytest.fixture
def three_articles(make_article):
    make_article("Old Astana story", countries=["kazakhstan"], day=1, tags=["economy"])
    make_article("Bishkek only", countries=["kyrgyzstan"], day=2)
    make_article(XSS_TITLE_INPUT, countries=["kazakhstan"], day=3)
    make_article("Newest Almaty story", countries=["kazakhstan"], day=4, tags=["economy"])


def test_lists_newest_first_with_safe_links(client, three_articles):
    response = client.get("/embed/kazakhstan?limit=2")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    links = links_of(response.get_data(as_text=True))
    assert [link["text"] for link in links] == ["Newest Almaty story", XSS_TITLE_INPUT]
    for link in links:
        assert link["target"] == "_blank"
        assert "noopener" in (link["rel"] or "").split()
        assert (link["href"] or "").startswith("http://localhost/articles/")
    assert "<img" not in response.get_data(as_text=True)


def test_frame_policy_only_on_embed_pages(client, three_articles):
    csp = client.get("/embed/kazakhstan").headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp
    # the only script: our own height reporter, from our origin
    assert "script-src 'self';" in csp and "unsafe" not in csp and "default-src 'none'" in csp
    assert "frame-ancestors 'self'" in client.get("/embed").headers["Content-Security-Policy"]


def test_tag_theme_and_all(client, three_articles):
    tagged = client.get("/embed/kazakhstan?tag=economy&theme=dark").get_data(as_text=True)
    assert [link["text"] for link in links_of(tagged)] == ["Newest Almaty story", "Old Astana story"]
    assert 'class="frame theme-dark"' in tagged
    everything = links_of(client.get("/embed/all?limit=10").get_data(as_text=True))
    assert len(everything) == 4


def test_empty_country_says_so(client):
    assert "No headlines yet." in client.get("/embed/tajikistan").get_data(as_text=True)


def test_iso_code_redirects_to_slug(client):
    response = client.get("/embed/KZ?limit=3&theme=dark")
    assert response.status_code == 301
    assert response.headers["Location"] == "/embed/kazakhstan?limit=3&theme=dark"


def test_unknown_country_is_404(client):
    assert client.get("/embed/narnia").status_code == 404


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "limit=%EF%BC%95", "theme=blue",
                                   "tag=%3Cb%3E", "colour=red"])
def test_bad_parameters_are_400(client, query):
    response = client.get(f"/embed/kazakhstan?{query}")
    assert response.status_code == 400
    assert response.headers["Cache-Control"] == "no-store"


def test_conditional_get_follows_writes(client, make_article):
    first = client.get("/embed/kazakhstan")
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=300, s-maxage=1, stale-if-error=86400"
    assert client.get("/embed/kazakhstan", headers={"If-None-Match": etag}).status_code == 304
    make_article("Fresh", countries=["kazakhstan"], day=9)
    changed = client.get("/embed/kazakhstan", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "Fresh" in changed.get_data(as_text=True)
    assert client.get("/embed/kazakhstan?theme=dark").headers["ETag"] != changed.headers["ETag"]
    other_host = client.get("/embed/kazakhstan", headers={"Host": "mirror.example"})
    assert other_host.headers["ETag"] != changed.headers["ETag"]  # its links point elsewhere


def test_stylesheet_is_served(client):
    with client.get("/embed/static/embed.css") as response:  # a file response: close it
        assert response.status_code == 200
        assert response.mimetype == "text/css"
