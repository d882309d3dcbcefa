"""The demo articles: enough of them, varied, valid, and loaded idempotently."""

from __future__ import annotations

from datetime import timedelta

from feedsvc.articles.clean import clean_html, clean_text
from feedsvc.articles.demo import load_demo_articles
from feedsvc.articles.demo_data import DEMO_ARTICLES
from feedsvc.articles.schemas import ArticleInSchema
from feedsvc.core.db import new_session

COUNTRIES = {"kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"}
TOPICS = {"media", "economy", "energy", "water", "transport", "rights"}


def test_demo_articles_are_varied_and_complete(app) -> None:
    with app.app_context():  # the countries a schema accepts are the app's
        loaded = [ArticleInSchema().load(item) for item in DEMO_ARTICLES]
    assert len(loaded) >= 18
    assert [a["external_id"] for a in loaded] == [f"demo-{n:03d}" for n in range(1, len(loaded) + 1)]
    assert set().union(*(a["countries"] for a in loaded)) == COUNTRIES
    assert sum(len(a["countries"]) > 1 for a in loaded) >= 4
    assert set().union(*(a["tags"] for a in loaded)) >= TOPICS
    assert all(a["tags"] and a["summary"] and a["author"] for a in loaded)
    assert all(a["content_html"].count("<p>") >= 2 for a in loaded)
    assert sum("<" in a["author"] for a in loaded) >= 3
    with_image = [a for a in loaded if a.get("image_url")]
    # Paths on the site, so any address it is served on shows them; each with its size and description.
    assert len(with_image) >= 12 and all(a["image_url"].startswith("/assets/demo/") for a in with_image)
    assert all(a["image_width"] == 800 and a["image_height"] == 450 and a["image_alt"] for a in with_image)
    dates = sorted(a["published_at"] for a in loaded)
    assert dates[-1] - dates[0] >= timedelta(weeks=4)
    assert all(d.year == 2025 and d.tzinfo is not None for d in dates)
    assert len(set(dates)) == len(dates)


def test_demo_text_is_already_clean() -> None:
    for item in DEMO_ARTICLES:
        assert clean_text(item["title"]) == item["title"]
        assert clean_text(item["summary"]) == item["summary"]
        assert clean_html(item["content_html"], None) == item["content_html"]


def test_loading_twice_adds_nothing(app) -> None:
    with app.app_context(), new_session() as session:
        assert load_demo_articles(session) == len(DEMO_ARTICLES)
        session.commit()
        assert load_demo_articles(session) == 0
        session.commit()


def test_demo_images_are_the_apps_own_files(app_factory) -> None:
    app = app_factory(PUBLIC_URL="https://news.example.org")
    with app.app_context(), new_session() as session:  # as `feedsvc demo` does, without the rates
        load_demo_articles(session)
        session.commit()
    images = [a["image_url"] for a in app.test_client().get("/api/articles?per_page=100").get_json()["items"]
              if a["image_url"]]
    assert len(images) >= 3 and all(i.startswith("https://news.example.org/assets/demo/") for i in images)
    for image in images:  # no third-party host: each one is served by the app itself
        with app.test_client().get(image.removeprefix("https://news.example.org")) as response:
            assert response.status_code == 200 and response.mimetype == "image/png"
            assert response.data.startswith(b"\x89PNG") and len(response.data) < 40_000


def test_demo_articles_are_listed_per_country(app, client, runner) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    listing = client.get("/api/articles?country=kazakhstan").get_json()
    expected = sum("kazakhstan" in a["countries"] for a in DEMO_ARTICLES)
    assert listing["total"] == expected >= 5
    assert listing["items"][0]["title"] == "Central Asian currencies hold steady against the dollar in April"
