"""HTML pages: home, country listings with the seed's wording, articles, search, bad input."""

from __future__ import annotations

import pytest
from lxml import html

FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json"}


def _doc(response):
    return html.fromstring(response.data)


def _wording(response):
    return [p.text_content() for p in _doc(response).xpath("//p[@class='count']")]


def _titles(response):
    return [a.text_content() for a in _doc(response).xpath("//ol[@class='articles']//h2/a")]


@pytest.mark.parametrize(("query", "wording", "first", "last"), [
    ("", "Viewing results 1 - 20 of 45", "Story 45", "Story 26"),
    ("?page=2", "Viewing results 21 - 40 of 45", "Story 25", "Story 6"),
    ("?page=3", "Viewing results 41 - 45 of 45", "Story 5", "Story 1"),
    ("?per_page=6&page=1", "Viewing results 1 - 6 of 45", "Story 45", "Story 40"),
])
def test_country_listing_wording_on_first_middle_and_last_pages(client, add_articles, query, wording,
                                                                first, last):
    add_articles(45)
    response = client.get("/kazakhstan" + query)
    assert response.status_code == 200
    assert _wording(response) == [wording, wording]  # above and below the list
    titles = _titles(response)
    assert (titles[0], titles[-1]) == (first, last)


def test_the_seed_page_wording(client, add_articles):
    add_articles(11)
    assert _wording(client.get("/kazakhstan?per_page=6"))[0] == "Viewing results 1 - 6 of 11"
    last = client.get("/kazakhstan?per_page=6&page=2")
    assert _wording(last)[0] == "Viewing results 7 - 11 of 11"
    assert set(_doc(last).xpath("//a[@rel='prev']/@href")) == {"/kazakhstan?per_page=6&page=1"}
    assert _doc(last).xpath("//a[@rel='next']") == []


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "99999999999", "%00"])
def test_bad_page_is_an_html_400(client, page):
    response = client.get(f"/kazakhstan?page={page}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_past_the_end_is_a_404_saying_so_and_an_empty_listing_is_fine(client, add_articles):
    assert "No stories about Kazakhstan yet" in client.get("/kazakhstan").get_data(as_text=True)
    add_articles(3)
    response = client.get("/kazakhstan?page=2")
    assert response.status_code == 404
    assert "past the end" in response.get_data(as_text=True)


def test_iso_code_redirects_to_the_slug(client):
    response = client.get("/kz?page=2")
    assert response.status_code == 301 and response.headers["Location"] == "/kazakhstan?page=2"
    assert client.get("/atlantis").status_code == 404


def test_country_page_answers_conditional_get(client, add_articles):
    add_articles(2)
    first = client.get("/kazakhstan")
    assert client.get("/kazakhstan", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    add_articles(1, title="Newer")
    again = client.get("/kazakhstan", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Newer 1" in _titles(again)


def test_home_leads_with_the_newest_story_then_a_block_per_country(client, add_articles):
    add_articles(3)
    add_articles(1, title="Both", countries=["kazakhstan", "uzbekistan"])
    doc = _doc(client.get("/"))
    assert doc.xpath("string(//article[contains(@class, 'lead-story')]//h2)") == "Both 1"
    assert [t.strip() for t in doc.xpath("//ol[@class='secondary']//h2//text()")] == ["Story 3", "Story 2"]
    assert [t.strip() for t in doc.xpath("//section[@class='latest']//h3//text()")] == ["Story 1"]
    blocks = doc.xpath("//section[@class='country-block']")
    assert [b.xpath("string(h2/a)") for b in blocks] == ["Kazakhstan", "Kyrgyzstan", "Tajikistan",
                                                         "Turkmenistan", "Uzbekistan"]
    # The top stories count in their countries' blocks, but are shown above them, not again.
    assert blocks[0].xpath("string(h2/span)") == "4 stories"
    assert [t.strip() for t in blocks[0].xpath(".//h3//text()")] == ["Story 1"]
    assert blocks[4].xpath("string(h2/span)") == "1 story" and not blocks[4].xpath(".//h3")
    # The feeds offered once: all of them in the Follow box, no country's feed repeated in its block.
    follow = doc.xpath("//aside[@class='follow-box']//a/@href")
    assert follow == ["/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds.opml",
                      "/feeds/all.opml"]
    assert not doc.xpath("//section[@class='country-block']//a[contains(@href, '/feeds/')]")


def test_article_page_and_slug_redirects(client, add_articles):
    (article_id,) = add_articles(1, title="Water & power <b>deal</b>", author="Desk & Co <desk@example.org>",
                                 content_html="<p>Full <em>text</em></p>", tags=["energy"])
    url = f"/articles/{article_id}/water-power-deal-1"
    page = client.get(url)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<p>Full <em>text</em></p>" in text  # sanitised at write time, rendered as HTML
    assert '<span class="author">Desk &amp; Co</span>' in text  # the name alone, escaped
    assert "desk@example.org" not in text
    for wrong in (f"/articles/{article_id}/old-slug", f"/articles/{article_id}"):
        response = client.get(wrong)
        assert response.status_code == 301 and response.headers["Location"] == url
    assert client.get("/articles/999999/x").status_code == 404
    assert client.get("/articles/99999999999999999999/x").status_code == 404


def test_search_finds_words_and_paginates(client, add_articles):
    add_articles(25, title="Water")
    add_articles(2, title="Grain", countries=["tajikistan"])
    response = client.get("/search?q=water")
    assert _wording(response)[0] == "Viewing results 1 - 20 of 25"
    last = client.get("/search?q=water&page=2")
    assert _wording(last)[0] == "Viewing results 21 - 25 of 25"
    assert set(_doc(response).xpath("//a[@rel='next']/@href")) == {"/search?q=water&page=2"}
    assert _titles(client.get("/search?q=grain&country=tj")) == ["Grain 2", "Grain 1"]
    assert _titles(client.get("/search?q=grain&country=kazakhstan")) == []
    assert "No articles match" in client.get("/search?q=nothing-like-this").get_data(as_text=True)
    assert client.get("/search").status_code == 200


@pytest.mark.parametrize("query", ["q=" + "x" * 10_240, "q=a%00b", "q=a&page=0", "country=atlantis&q=a",
                                   "q=a&page=-1", "q=a&per_page=1000"])
def test_bad_search_input_is_a_4xx_never_a_500(client, query):
    response = client.get("/search?" + query)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "text/html"


@pytest.mark.parametrize("path", ["/", "/kazakhstan", "/search?q=a", "/nowhere"])
def test_every_page_has_feed_autodiscovery_and_security_headers(client, path):
    response = client.get(path)
    links = _doc(response).xpath("//head/link[@rel='alternate'][@type != 'application/json+oembed']")
    assert {link.get("type") for link in links} == FEED_TYPES
    assert all(link.get("href").startswith("http://localhost/feeds/") for link in links)
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_country_page_discovers_its_own_feeds_first(client):
    links = _doc(client.get("/kazakhstan")).xpath("//head/link[@rel='alternate']/@href")
    assert links[0] == "http://localhost/feeds/kazakhstan.rss"


def test_nav_links_every_area(client):
    hrefs = _doc(client.get("/")).xpath("//nav[@aria-label='Main']//a/@href")
    assert hrefs == ["/", "/kazakhstan", "/kyrgyzstan", "/tajikistan", "/turkmenistan", "/uzbekistan",
                     "/rates", "/search"]
    # The embed builder and the OPML are for publishers and power users: in the footer, not the readers' menu.
    footer = _doc(client.get("/")).xpath("//footer[@class='site']//a/@href")
    assert {"/embed", "/feeds.opml", "/feeds/all.opml"} <= set(footer)


def test_tag_page_discovers_its_own_tag_feeds_first(client, add_articles):
    add_articles(1, tags=["water"])
    links = _doc(client.get("/tags/water")).xpath("//head/link[@rel='alternate']")
    assert [link.get("href") for link in links[:3]] == [
        "http://localhost/feeds/all.rss?tag=water", "http://localhost/feeds/all.atom?tag=water",
        "http://localhost/feeds/all.json?tag=water"]
    assert links[0].get("title") == "Central Asia, tagged water (RSS)"
    assert client.get("/feeds/all.rss?tag=water").status_code == 200
