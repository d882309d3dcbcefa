"""The oEmbed provider, read by a real consumer (pyoembed: discovery from the page, then its parser)."""

from __future__ import annotations

import lxml.html
import pytest
from pyoembed import oEmbed

from feedsvc.embed.layout import CARD_HEIGHT, headlines_height


@pytest.fixture
def story(make_article) -> dict:
    """One Kazakhstan story (its page embeds as its country's headlines)."""
    return make_article("Astana budget passes", countries=["kazakhstan", "kyrgyzstan"], day=1)


def test_consumer_discovers_and_embeds_a_country_page(service, story):
    data = oEmbed(service + "/kazakhstan", maxwidth=480)
    assert data["type"] == "rich" and data["version"] == "1.0"
    assert data["title"] == "Kazakhstan headlines" and data["provider_name"]
    assert data["width"] == 480 and data["cache_age"] > 0
    frame = lxml.html.fragment_fromstring(data["html"], create_parent="div").find("iframe")
    assert frame.get("src") == service + "/embed/kazakhstan?limit=5"
    assert frame.get("style") == "border:0" and frame.get("title") == data["title"]
    assert int(frame.get("height")) == data["height"] == headlines_height(5)


def test_the_home_page_embeds_every_countrys_headlines(service, story):
    data = oEmbed(service + "/")
    assert data["title"] == "Central Asia headlines" and f'src="{service}/embed/all?limit=5"' in data["html"]


def test_consumer_embeds_rates_and_article_pages(service, story):
    rates = oEmbed(service + "/rates")
    assert rates["title"] == "Exchange rates" and f'src="{service}/embed/rates?pairs=' in rates["html"]
    article = oEmbed(f"{service}/articles/{story['id']}/astana-budget-passes", maxwidth=480)
    # An article embeds as its own card; its country's page keeps embedding the headlines.
    assert article["title"] == "Astana budget passes" and article["type"] == "rich"
    frame = lxml.html.fragment_fromstring(article["html"], create_parent="div").find("iframe")
    assert frame.get("src") == f"{service}/embed/articles/{story['id']}"
    assert (article["width"], article["height"], int(frame.get("height"))) == (480, CARD_HEIGHT, CARD_HEIGHT)
    assert "frame.js" in article["html"]  # auto-height, as the other frames


@pytest.mark.parametrize(("url", "status"), [
    ("http://localhost/atlantis", 404), ("http://elsewhere.example/kazakhstan", 404),
    ("http://localhost/search?q=a", 404), ("http://localhost/embed/rates?pairs=USD/EUR", 404),
    ("http://localhost/articles/999999", 404), ("javascript:alert(1)", 404),
])
def test_unknown_or_foreign_urls_are_404(client, url, status):
    response = client.get("/oembed", query_string={"url": url})
    assert response.status_code == status
    assert "embeddable" in response.get_json()["error"]["message"]


@pytest.mark.parametrize(("query", "status"), [
    ({"url": "http://localhost/kazakhstan", "format": "xml"}, 501), ({}, 400),
    ({"url": "http://localhost/kazakhstan", "maxwidth": "wide"}, 400),
])
def test_bad_requests(client, query, status):
    response = client.get("/oembed", query_string=query)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]


def test_urls_are_built_on_the_public_url(app_factory):
    client = app_factory(PUBLIC_URL="https://news.example.org").test_client()
    page = lxml.html.fromstring(client.get("/kyrgyzstan", headers={"Host": "localhost"}).data)
    link = page.xpath("//head/link[@type='application/json+oembed']/@href")
    assert link == ["https://news.example.org/oembed?url=https%3A%2F%2Fnews.example.org%2Fkyrgyzstan&format=json"]
    answer = client.get("/oembed?url=https://news.example.org/embed/all?limit%3D3%26theme%3Ddark").get_json()
    assert 'src="https://news.example.org/embed/all?limit=3&amp;theme=dark"' in answer["html"]
    assert client.get("/oembed?url=http://localhost/kyrgyzstan").status_code == 404  # not our public host


def test_a_rates_page_embeds_as_a_ticker_of_its_pairs(client):
    answer = client.get("/oembed", query_string={"url": "http://localhost/rates?pairs=USD/KGS,USD/KZT&from="
                                                        "2025-01-01&to=2025-02-01"})
    assert answer.status_code == 200
    frame = lxml.html.fragment_fromstring(answer.get_json()["html"], create_parent="div").find("iframe")
    assert frame.get("src") == "http://localhost/embed/rates?pairs=USD/KGS,USD/KZT"
    unknown = client.get("/oembed", query_string={"url": "http://localhost/rates?pairs=USD/XXX"})
    assert unknown.status_code == 404
    # The page's discovery link names the pairs it shows, so a consumer embeds those.
    page = lxml.html.fromstring(client.get("/rates?pairs=usd/kgs").data)
    link = page.xpath("//head/link[@type='application/json+oembed']/@href")
    assert link == ["http://localhost/oembed?url=http%3A%2F%2Flocalhost%2Frates%3Fpairs%3DUSD%2FKGS&format=json"]


def test_rates_pages_of_any_servable_pair_embed(client, bank_tables):
    for url in ("http://localhost/rates?pairs=RUB/KGS,KGS/KZT", "http://localhost/embed/rates?pairs=RUB/KGS,KGS/KZT"):
        answer = client.get("/oembed", query_string={"url": url}).get_json()
        frame = lxml.html.fragment_fromstring(answer["html"], create_parent="div").find("iframe")
        assert frame.get("src") == "http://localhost/embed/rates?pairs=RUB/KGS,KGS/KZT"
    unknown = client.get("/oembed", query_string={"url": "http://localhost/rates?pairs=RUB/ABC"})
    assert unknown.status_code == 404
