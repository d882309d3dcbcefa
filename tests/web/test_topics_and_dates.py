"""Countries and tags are links, tag pages list their stories, and every page shows dates one way."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from lxml import html

from feedsvc.articles.store import get_article, update_article
from feedsvc.core.db import new_session

# "3 December 2026": the day without a leading zero, the month in English, four-digit year.
LONG_DATE = re.compile(r"(\d{1,2}) (January|February|March|April|May|June|July|August|September|October"
                       r"|November|December) (\d{4})")
MONTHS = LONG_DATE.pattern.split("(", 2)[2].split(")")[0].split("|")


def _doc(response):
    return html.fromstring(response.data)


def test_article_links_its_countries_and_tags(client, add_articles):
    (article_id,) = add_articles(1, title="Grid deal", countries=["kyrgyzstan", "tajikistan"],
                                 tags=["energy", "hydro-power"])
    add_articles(2, title="Other", tags=["energy"])
    add_articles(1, title="Untagged")
    page = client.get(f"/articles/{article_id}/grid-deal-1")
    links = _doc(page).xpath("//ul[@class='topics']//a/@href")
    assert links == ["/kyrgyzstan", "/tajikistan", "/tags/energy", "/tags/hydro-power"]
    tagged = _doc(client.get("/tags/energy"))
    titles = [a.text_content() for a in tagged.xpath("//ol[@class='articles']//h2/a")]
    assert titles == ["Other 2", "Other 1", "Grid deal 1"]  # newest first, the untagged one left out
    assert "Viewing results 1 - 3 of 3" in client.get("/tags/energy").get_data(as_text=True)
    listing = _doc(client.get("/kyrgyzstan")).xpath("//ol[@class='articles']//p[@class='kicker']//a/@href")
    assert listing == ["/kyrgyzstan", "/tajikistan"]


def test_tag_page_redirects_and_refuses_cleanly(client, add_articles):
    add_articles(3, title="Grain", tags=["grain"])
    response = client.get("/tags/GRAIN?per_page=2&utm_source=x")
    assert response.status_code == 301 and response.headers["Location"] == "/tags/grain?per_page=2"
    assert client.get("/tags/grain?per_page=2&page=2").status_code == 200
    for path in ("/tags/grain?per_page=2&page=3", "/tags/rice", "/tags/a%00b", "/tags/" + "a" * 65,
                 "/tags/%C3%A9t%C3%A9", "/tags/-x", "/tags/grain?page=0"):
        response = client.get(path)
        assert 400 <= response.status_code < 500, path
        assert response.mimetype == "text/html", path


@pytest.mark.parametrize("path", ["/", "/kazakhstan", "/articles/{id}/story-1", "/search?q=story",
                                  "/tags/water"])
def test_every_date_is_written_one_way(client, add_articles, path):
    (first,) = add_articles(1, tags=["water"])
    _edit_next_day(client.application, first)  # so the article page shows an "Updated" date too
    doc = _doc(client.get(path.format(id=first)))
    times = doc.xpath("//main//time")
    assert times, path
    for element in times:
        shown = LONG_DATE.fullmatch(element.text_content())
        assert shown, element.text_content()
        day, month, year = int(shown[1]), MONTHS.index(shown[2]) + 1, int(shown[3])
        assert datetime.fromisoformat(element.get("datetime")).date() == date(year, month, day)
    assert "1 March 2025" in [t.text_content() for t in times]  # published 2025-03-01 08:01 UTC


def _edit_next_day(app: Flask, article_id: int) -> None:
    with app.app_context():
        session = new_session()
        article = get_article(session, article_id)
        update_article(session, article, {"summary": "Edited"}, now=article.published_at + timedelta(days=1))
        session.commit()
        session.close()
