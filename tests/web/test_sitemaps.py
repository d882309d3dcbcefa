"""Sitemaps and robots.txt: valid against the published XSDs, every visible page listed, paged when large."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from feedsvc.articles.store import create_article
from feedsvc.core.db import new_session
from feedsvc.web.discovery import news_language

SCHEMAS = Path(__file__).parents[1] / "fixtures" / "sitemaps"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "n": "http://www.google.com/schemas/sitemap-news/0.9"}
PUBLIC = "https://news.example.org"


def schema(name: str) -> etree.XMLSchema:
    """One of the vendored schemas (sitemaps.org, Google News)."""
    return etree.XMLSchema(etree.parse(str(SCHEMAS / name)))


def valid_xml(response, xsd: str) -> etree._Element:
    """The document of a 200 XML answer, after validating it against ``xsd``."""
    assert response.status_code == 200
    assert response.content_type == "application/xml; charset=utf-8"
    document = etree.fromstring(response.data)
    checker = schema(xsd)
    assert checker.validate(document), checker.error_log
    return document


def write(app, *ages: timedelta, **fields) -> list[int]:
    """One article per age (published that long ago; negative: in the future), in one commit."""
    now = datetime.now(UTC)
    with app.app_context(), new_session() as session:
        articles = [create_article(session, {"title": f"Story {n} <&>", "countries": ["kazakhstan"],
                                             "published_at": now - age, **fields})
                    for n, age in enumerate(ages, 1)]
        session.commit()
        return [article.id for article in articles]


def locs(document: etree._Element) -> list[str]:
    """Every ``<loc>`` of a sitemap or sitemap index."""
    return document.xpath("//s:loc/text()", namespaces=NS)


@pytest.fixture
def app(app_factory):
    """The app with a public base URL, as in production."""
    return app_factory(PUBLIC_URL=PUBLIC)


def test_the_sitemap_lists_home_countries_and_every_visible_article(app, client) -> None:
    ids = write(app, timedelta(days=400), timedelta(hours=1), timedelta(days=-1))  # the last one: embargoed
    urls = locs(valid_xml(client.get("/sitemap.xml"), "sitemap.xsd"))
    assert all(url.startswith(PUBLIC + "/") for url in urls)
    paths = [urlsplit(url).path for url in urls]
    assert len(paths) == len(set(paths))
    for path in paths:  # each is a page's canonical URL: no redirect, no error
        assert client.get(path).status_code == 200, path
    articles = [path for path in paths if path.startswith("/articles/")]
    assert [int(path.split("/")[2]) for path in articles] == ids[:2]
    assert set(paths) - set(articles) == {"/"} | {f"/{c.slug}" for c in app.config["COUNTRIES"]}


def test_a_large_sitemap_becomes_an_index_of_files(app_factory, client) -> None:
    app = app_factory(PUBLIC_URL=PUBLIC, SITEMAP_MAX_URLS=4)
    write(app, *(timedelta(hours=n) for n in range(1, 6)))
    whole = app_factory(PUBLIC_URL=PUBLIC).test_client().get("/sitemap.xml")  # the same data in one file
    paged = app.test_client()
    index = valid_xml(paged.get("/sitemap.xml"), "siteindex.xsd")
    files = locs(index)
    assert len(files) == 3  # 6 fixed pages and 5 articles, 4 a file
    listed = []
    for url in files:
        document = valid_xml(paged.get(urlsplit(url).path), "sitemap.xsd")
        assert len(locs(document)) <= 4
        listed += locs(document)
    assert listed == locs(etree.fromstring(whole.data))
    for missing in ("/sitemap-0.xml", "/sitemap-4.xml"):
        assert paged.get(missing).status_code == 404
    assert client.get("/sitemap-1.xml").status_code == 404  # small enough: /sitemap.xml is the sitemap


def test_the_news_sitemap_has_the_last_two_days_newest_first(app, client) -> None:
    old, recent, newest, _future = write(app, timedelta(days=2, minutes=1), timedelta(days=1),
                                         timedelta(minutes=5), timedelta(minutes=-30))
    [chinese] = write(app, timedelta(hours=3), language="zh-Hant-TW")
    document = valid_xml(client.get("/sitemap-news.xml"), "news-with-sitemap.xsd")
    urls = document.xpath("//s:url", namespaces=NS)
    paths = [urlsplit(url.findtext("s:loc", namespaces=NS)).path for url in urls]
    assert [int(path.split("/")[2]) for path in paths] == [newest, chinese, recent]
    first = urls[0]
    assert first.findtext("n:news/n:title", namespaces=NS) == "Story 3 <&>"
    assert first.findtext("n:news/n:publication/n:name", namespaces=NS) == "Central Asia News"  # the site
    assert [url.findtext("n:news/n:publication/n:language", namespaces=NS) for url in urls] == [
        "en", "zh-tw", "en"]
    published = datetime.fromisoformat(first.findtext("n:news/n:publication_date", namespaces=NS))
    assert published.tzinfo is not None
    assert client.get(paths[0]).status_code == 200
    assert old not in paths


def test_the_news_sitemap_keeps_the_newest_articles_up_to_its_limit(app_factory) -> None:
    app = app_factory(PUBLIC_URL=PUBLIC, SITEMAP_NEWS_MAX_URLS=2)
    ids = write(app, timedelta(hours=3), timedelta(hours=2), timedelta(hours=1))
    document = valid_xml(app.test_client().get("/sitemap-news.xml"), "news-with-sitemap.xsd")
    assert [int(urlsplit(url).path.split("/")[2]) for url in locs(document)] == [ids[2], ids[1]]


@pytest.mark.parametrize(("tag", "code"), [
    ("en", "en"), ("ru-KZ", "ru"), ("uz-Latn-UZ", "uz"), ("kaa", "kaa"), ("zh", "zh-cn"),
    ("zh-Hans-CN", "zh-cn"), ("zh-Hant", "zh-tw"), ("zh-HK", "zh-tw"), ("x-private", "und"),
])
def test_news_languages_are_the_codes_google_news_takes(tag: str, code: str) -> None:
    assert news_language(tag) == code


def test_conditional_get_until_an_article_changes(app, client) -> None:
    write(app, timedelta(hours=1))
    for path in ("/sitemap.xml", "/sitemap-news.xml"):
        first = client.get(path)
        assert client.get(path, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        write(app, timedelta(minutes=1))
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 200
        assert again.data != first.data


def test_robots_names_the_sitemaps_absolutely(app_factory) -> None:
    for public, base in ((PUBLIC, PUBLIC), (None, "http://reader.test")):
        client = app_factory(PUBLIC_URL=public).test_client()
        response = client.get("/robots.txt", base_url=base)
        assert response.status_code == 200
        assert response.content_type == "text/plain; charset=utf-8"
        lines = response.get_data(as_text=True).splitlines()
        assert lines[0] == "User-agent: *"
        sitemaps = [line.split(": ", 1)[1] for line in lines if line.startswith("Sitemap: ")]
        assert sitemaps == [f"{base}/sitemap.xml", f"{base}/sitemap-news.xml"]
        for url in sitemaps:
            assert client.get(urlsplit(url).path, base_url=base).status_code == 200


@pytest.mark.parametrize("path", ["/robots.txt", "/sitemap.xml", "/sitemap-news.xml"])
def test_a_query_string_is_a_400(client, path: str) -> None:
    response = client.get(f"{path}?page=2")
    assert response.status_code == 400
    assert b"unknown parameter" in response.data
