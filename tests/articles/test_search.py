"""Full-text search on each database's engine: stems, phrases, exclusions, ranking, snippets, freshness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from article_helpers import article_body, search_index_in_step
from lxml import html

from feedsvc.articles.demo import load_demo_articles
from feedsvc.articles.search import MAX_MATCHES
from feedsvc.articles.upsert import country_index, prepare_line, write_batch
from feedsvc.core.db import new_session

TASHKENT = "Tashkent metro extends the ring line by three stations"
SUBSTATIONS = "Five Central Asian states discuss a shared electricity market"


@pytest.fixture
def demo(app, client):
    """The demo articles, loaded as `feedsvc demo` loads them."""
    with app.app_context(), new_session() as session:
        load_demo_articles(session)
        session.commit()
    return client


def api_titles(client, q: str, **params) -> list[str]:
    """Titles of the API's search results, best first."""
    response = client.get("/api/articles", query_string={"q": q, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["title"] for item in response.get_json()["items"]]


def page_titles(client, url: str) -> list[str]:
    """Titles an HTML listing shows (each story's headline, an h2 of the listing)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return [a.text_content() for a in html.fromstring(response.data).xpath("//ol[@class='articles']//h2/a")]


def test_the_demo_searches(demo) -> None:
    found = api_titles(demo, "station")
    assert TASHKENT in found and SUBSTATIONS not in found  # a stem, not a substring
    assert SUBSTATIONS in api_titles(demo, "substations")
    assert api_titles(demo, '"ring line"') == [TASHKENT]
    assert api_titles(demo, '"line ring"') == []  # a phrase keeps its order
    assert TASHKENT in api_titles(demo, "metro")
    assert TASHKENT not in api_titles(demo, "metro -Tashkent")
    assert TASHKENT in api_titles(demo, "zeppelin or metro")
    assert TASHKENT in page_titles(demo, "/search?q=station")
    assert SUBSTATIONS not in page_titles(demo, "/search?q=station")
    assert page_titles(demo, "/tags/metro?q=ring") == [TASHKENT]
    assert demo.get("/tags/metro?q=zeppelin").status_code == 200  # a tag with no match: an empty result


def test_relevance_first_then_newest(client, create) -> None:
    body_only = create(title="Budget approved", content_html="<p>The pipeline budget passed.</p>",
                       summary="Deputies voted.", published_at="2025-05-03T00:00:00Z")
    in_title = create(title="Pipeline reaches the border", summary="Construction ends.",
                      published_at="2025-05-01T00:00:00Z")
    older = create(title="Grain exports", summary="Grain exports rose.", published_at="2025-04-01T00:00:00Z")
    newer = create(title="Grain exports", summary="Grain exports rose.", published_at="2025-04-02T00:00:00Z")
    assert api_titles(client, "pipeline") == [in_title["title"], body_only["title"]]
    ids = [item["id"] for item in client.get("/api/articles?q=grain").get_json()["items"]]
    assert ids == [newer["id"], older["id"]]


def test_snippets_mark_the_words_and_escape_everything_else(client, create) -> None:
    # The snippet markers are noncharacters: typed raw or as entities, cleaning drops them.
    create(title="Tariffs <b>rise</b>", summary="Plain \ufdd0words\ufdd1 and markers",
           content_html="<p>Say &lt;script&gt;alert(1)&lt;/script&gt; &#xfdd1;about the gas tariffs.</p>")
    [item] = client.get("/api/articles?q=tariffs").get_json()["items"]
    snippet = item["snippet"]
    assert "<mark>tariffs</mark>" in snippet and snippet.count("<mark>") == snippet.count("</mark>") == 1
    assert "<script>" not in snippet and "alert(1)" in snippet  # escaped (SQLite) or left out (PostgreSQL)
    page = client.get("/search?q=tariffs").get_data(as_text=True)
    assert "<script>alert" not in page and "<mark>tariffs</mark>" in page
    [item] = client.get("/api/articles?q=markers").get_json()["items"]
    assert item["snippet"].count("<mark>") == item["snippet"].count("</mark>") == 1


def test_a_word_deep_in_a_long_article_gets_its_passage(client, create) -> None:
    # PostgreSQL's headline reads a window around the word's first place, not the text's first pages.
    filler = " ".join(["Grain harvest figures for the region were reported."] * 600)  # ~31,000 characters
    create(title="Harvest report", summary="Figures.",
           content_html=f"<p>{filler}</p><p>The irrigation canal reopened in May.</p>")
    create(title="Рекордный урожай", summary="Итоги.", language="ru",
           content_html=f"<p>{filler}</p><p>Оросительные каналы открылись в мае.</p>")
    [item] = client.get("/api/articles?q=canal").get_json()["items"]
    assert "<mark>canal</mark>" in item["snippet"]
    [item] = client.get("/api/articles?q=каналы").get_json()["items"]  # SQLite stems no Russian
    assert "<mark>каналы</mark>" in item["snippet"]


def test_an_edit_or_a_delete_leaves_the_index_at_once(client, create, auth_headers) -> None:
    article = create(title="Hydropower cascade", content_html="<p>Turbines on the Vakhsh.</p>")
    assert api_titles(client, "turbines") == ["Hydropower cascade"]
    changed = client.patch(f"/api/articles/{article['id']}", headers=auth_headers,
                           json={"title": "Solar park", "content_html": "<p>Panels in the steppe.</p>"})
    assert changed.status_code == 200
    assert api_titles(client, "turbines") == [] and api_titles(client, "hydropower") == []
    assert api_titles(client, "panels") == ["Solar park"]
    assert client.delete(f"/api/articles/{article['id']}", headers=auth_headers).status_code == 204
    assert api_titles(client, "panels") == []


def test_embargoed_articles_are_found_only_once_live(client, create, auth_headers) -> None:
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    create(title="Zeppelin service announced", published_at=soon)
    assert api_titles(client, "zeppelin") == []
    assert page_titles(client, "/search?q=zeppelin") == []
    held = client.get("/api/articles?q=zeppelin", headers=auth_headers).get_json()
    assert [item["status"] for item in held["items"]] == ["scheduled"]  # token holders see their schedule


def test_filters_combine_with_the_words(client, create) -> None:
    create(title="Rail tender", countries=["kazakhstan"], tags=["rail"])
    create(title="Rail tender", countries=["kyrgyzstan"], tags=["rail", "trade"])
    create(title="Road tender", countries=["kyrgyzstan"], tags=["trade"])
    assert len(api_titles(client, "tender", country="kyrgyzstan")) == 2
    assert api_titles(client, "rail", country="kg", tag="trade") == ["Rail tender"]
    assert page_titles(client, "/search?q=tender&country=kazakhstan") == ["Rail tender"]
    assert page_titles(client, "/tags/trade?q=rail") == ["Rail tender"]
    page = client.get("/api/articles?q=tender&per_page=2&page=2").get_json()
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 1)


def test_russian_words(client, create, db_name) -> None:
    create(title="Новые станции метро в Ташкенте", summary="Кольцевая линия стала длиннее.", language="ru")
    assert api_titles(client, "станции") == ["Новые станции метро в Ташкенте"]  # the exact form: both
    assert api_titles(client, "СТАНЦИИ") == ["Новые станции метро в Ташкенте"]  # case folds: both
    # Only PostgreSQL stems Russian; SQLite's porter stemmer is English-only (docs/architecture.md).
    expected = ["Новые станции метро в Ташкенте"] if db_name == "postgresql" else []
    assert api_titles(client, "станция") == expected


@pytest.mark.parametrize("q", ["the and of", '- or "" -', '"ring line', "NEAR(metro", "metr*", "^metro",
                               "title:metro", "-metro -tashkent", "metro AND OR NOT line", '"""metro"',
                               "metro)", "{metro}", "\\", "'; DROP TABLE articles; --"])
def test_hostile_queries_answer_200(demo, no_tracebacks, q) -> None:
    for url in ("/api/articles", "/search", "/tags/metro"):
        response = demo.get(url, query_string={"q": q})
        assert response.status_code == 200, (url, response.status_code)


@pytest.mark.parametrize("url", ["/api/articles", "/search", "/tags/metro"])
def test_a_query_of_10000_characters_is_a_400(demo, no_tracebacks, url) -> None:
    response = demo.get(url, query_string={"q": "metro " * 1667})
    assert response.status_code == 400


def test_article_body(client, create) -> None:
    """The body is searched as text: markup is not a word."""
    create(**article_body(content_html='<p><a href="https://example.org/strong">Link</a> text</p>'))
    assert api_titles(client, "href") == [] and api_titles(client, "example") == []
    assert api_titles(client, "link") == ["Reservoir levels rise on the Syr Darya"]


def test_a_word_in_every_article_ranks_only_the_newest_matches(app, client) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with app.app_context(), new_session() as session:
        index = country_index(session)
        lines = [prepare_line(n, b"", {"title": f"Budget {n}", "countries": ["kazakhstan"],
                                       "external_id": f"b-{n}", "published_at": start + timedelta(hours=n)},
                              index, start) for n in range(MAX_MATCHES + 5)]
        write_batch(session, lines, start)
        session.commit()
    body = client.get("/api/articles?q=budget&per_page=100&page=10").get_json()
    assert body["total"] == MAX_MATCHES and body["pages"] == MAX_MATCHES // 100
    assert body["items"][-1]["title"] == "Budget 5"  # the five oldest matches are past the bound


def test_an_article_moved_into_the_future_leaves_search_and_comes_back_when_moved_back(client, create,
                                                                                        auth_headers) -> None:
    # PostgreSQL's search table keeps its own copy of published_at for the embargo: an edit must move it.
    article = create(title="Funicular reopens", published_at="2025-05-01T00:00:00Z")
    assert api_titles(client, "funicular") == ["Funicular reopens"]
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert client.patch(f"/api/articles/{article['id']}", headers=auth_headers,
                        json={"published_at": later}).status_code == 200
    assert api_titles(client, "funicular") == [] and page_titles(client, "/search?q=funicular") == []
    assert client.patch(f"/api/articles/{article['id']}", headers=auth_headers,
                        json={"published_at": "2025-05-02T00:00:00Z"}).status_code == 200
    assert api_titles(client, "funicular") == ["Funicular reopens"]


def test_an_import_batch_indexes_its_articles_and_a_failed_one_nothing(app, client, create, auth_headers,
                                                                     db_name) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)

    def batch(first: int, word: str) -> list:
        with app.app_context(), new_session() as session:
            index = country_index(session)
            return [prepare_line(n, b"", {"title": f"{word.title()} {n}", "summary": f"The {word} story.",
                                          "content_html": f"<p>Turbines {n}</p>", "countries": ["kz"],
                                          "external_id": f"i-{n}",
                                          "published_at": start + timedelta(hours=n)},
                                 index, start) for n in range(first, first + 30)]

    with app.app_context(), new_session() as session:
        write_batch(session, batch(0, "cascade"), start)
        session.rollback()  # a batch that fails lands nothing, in the index neither
    search_index_in_step(app, db_name)
    assert api_titles(client, "cascade") == []
    with app.app_context(), new_session() as session:
        write_batch(session, batch(100, "reservoir"), start)
        session.commit()
    search_index_in_step(app, db_name)
    assert client.get("/api/articles?q=reservoir").get_json()["total"] == 30
    assert api_titles(client, '"turbines 117"') == ["Reservoir 117"]
    # Every other write path still goes through the triggers, the import's own included.
    made = create(title="Cascade dam approved", content_html="<p>Turbines ordered.</p>")
    assert api_titles(client, "cascade") == ["Cascade dam approved"]
    stored = client.get("/api/articles?q=reservoir").get_json()["items"][0]
    assert client.patch(f"/api/articles/{stored['id']}", headers=auth_headers,
                        json={"title": "Moved"}).status_code == 200
    assert client.delete(f"/api/articles/{made['id']}", headers=auth_headers).status_code == 204
    assert api_titles(client, "cascade") == []
    assert client.get("/api/articles?q=reservoir").get_json()["total"] == 30
    assert "Moved" in api_titles(client, "moved")
    search_index_in_step(app, db_name)


def test_pages_follow_relevance_then_newest_then_id_across_ties(client, create) -> None:
    # Three scores (title, summary, body), each shared by several articles, some published at the same
    # instant: every page of 4 must be the slice of one order (score, newest first, then highest id).
    made = []
    for n in range(14):
        where = ("title", "summary", "content_html")[n % 3]
        fields = {"title": "Report", "summary": "Figures.", "content_html": "<p>Numbers.</p>"}
        fields[where] = {"title": "Canal report", "summary": "Canal figures.",
                         "content_html": "<p>Canal numbers.</p>"}[where]
        made.append(create(**fields, published_at=f"2025-05-0{1 + n % 4}T00:00:00Z"))
    rank = {"title": 0, "summary": 1, "content_html": 2}
    expected = sorted(made, key=lambda a: (rank[("title", "summary", "content_html")[made.index(a) % 3]],
                                           tuple(-ord(c) for c in a["published_at"]), -a["id"]))
    pages = [client.get(f"/api/articles?q=canal&per_page=4&page={p}").get_json() for p in (1, 2, 3, 4)]
    assert [item["id"] for page in pages for item in page["items"]] == [a["id"] for a in expected]
    assert {page["total"] for page in pages} == {14}
