"""Query strings, ids and methods of the article API: 400, 404, 405 and empty pages, never a 500."""

from __future__ import annotations

import pytest
from article_helpers import assert_error, snapshot

pytestmark = pytest.mark.usefixtures("no_tracebacks")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=0", "per_page"),
        ("per_page=1000", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=-1", "per_page"),
        ("per_page=abc", "per_page"),
        ("per_page=", "per_page"),
        ("per_page=1.5", "per_page"),
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page=abc", "page"),
        ("page=99999999999999999999", "page"),
        ("colour=red", "colour"),
        ("limit=5", "limit"),
        ("country=", "country"),
        ("country=atlantis", "country"),
        ("country=KZ", "country"),
        ("country=Kazakhstan", "country"),
        ("country=kazakhstan%0A", "country"),
        ("q=" + "x" * 501, "q"),
    ],
)
def test_bad_query_parameters_are_400(client, query, field) -> None:
    assert_error(client.get(f"/api/articles?{query}"), 400, field)


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("page=1&page=2", "page"),
        ("page=1&page=1", "page"),
        ("per_page=5&country=kz&per_page=5", "per_page"),
        ("q=a&q=b&tag=x&tag=y", "q, tag"),
        ("country=kazakhstan&country=kz", "country"),
        ("page=&page=", "page"),
    ],
)
def test_repeated_query_parameters_are_400(client, query, names) -> None:
    error = assert_error(client.get(f"/api/articles?{query}"), 400, "_repeated")
    assert error == {"status": 400, "message": f"give {names} once",
                     "fields": {"_repeated": [f"give {names} once"]}}


def test_a_repeated_unknown_parameter_is_reported_as_unknown(client) -> None:
    assert_error(client.get("/api/articles?colour=red&colour=blue"), 400, "colour")


@pytest.mark.parametrize(
    "url",
    [
        "/api/articles?q=%00",
        "/api/articles?q=water%00",
        "/api/articles?country=kazakhstan%00",
        "/api/articles?tag=%00water",
        "/api/articles?%00=1",
        "/api/articles/%00",
        "/api/countries?x=%00",
        "/feeds/kazakhstan%00.rss",
        "/rates.csv?pairs=%00",
    ],
)
def test_nul_in_the_url_is_400(client, url) -> None:
    assert_error(client.get(url), 400, "url")


def test_nul_in_an_html_url_answers_an_html_400(client) -> None:
    response = client.get("/kazakhstan%00")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_a_page_past_the_end_is_empty(client, create) -> None:
    for number in range(3):
        create(title=f"Story {number}")
    response = client.get("/api/articles?per_page=2&page=7")
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "page": 7, "per_page": 2, "total": 3, "pages": 2}


def test_an_empty_store_lists_nothing(client) -> None:
    assert client.get("/api/articles").get_json() == {
        "items": [], "page": 1, "per_page": 20, "total": 0, "pages": 0,
    }


@pytest.mark.parametrize(
    "article_id", ["999", "abc", "99999999999999999999", "-1", "1.5", "0x1", "2147483648"]
)
def test_unknown_article_ids_are_404(app, client, auth_headers, create, article_id) -> None:
    create()
    before = snapshot(app)
    url = f"/api/articles/{article_id}"
    assert_error(client.get(url), 404)
    assert_error(client.patch(url, json={"title": "x"}, headers=auth_headers), 404)
    assert_error(client.delete(url, headers=auth_headers), 404)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("put", "/api/articles"),
        ("delete", "/api/articles"),
        ("patch", "/api/articles"),
        ("post", "/api/articles/1"),
        ("put", "/api/articles/1"),
        ("post", "/api/countries"),
        ("delete", "/api/openapi.json"),
    ],
)
def test_wrong_methods_are_405(app, client, auth_headers, create, method, url) -> None:
    create()
    before = snapshot(app)
    response = getattr(client, method)(url, json={"title": "x"}, headers=auth_headers)
    assert_error(response, 405)
    assert "GET" in response.headers["Allow"]
    assert snapshot(app) == before


def test_unknown_api_paths_are_json_404(client) -> None:
    assert_error(client.get("/api/nothing-here"), 404)
