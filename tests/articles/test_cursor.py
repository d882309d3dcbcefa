"""Walking a listing: the ``after=`` cursor, its ``Link: rel="next"`` header, and deep page numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from feedsvc.articles.listing import Cursor

LINK = re.compile(r'^<([^>]+)>; rel="next"$')


def next_link(response) -> str | None:
    """The path and query of the response's rel="next" link, or None."""
    header = response.headers.get("Link")
    if header is None:
        return None
    found = LINK.match(header)
    assert found, header
    parts = urlsplit(found[1])
    assert parts.scheme == "http" and parts.netloc == "localhost"  # absolute (RFC 8288 resolves either)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def seven(app, create) -> list[int]:
    """Seven articles (two at the same instant), oldest first; one more in Kyrgyzstan only."""
    stamps = ["2025-01-03T00:00:00Z", "2025-02-01T00:00:00Z", "2025-02-01T00:00:00Z", "2025-03-09T00:00:00Z",
              "2025-05-20T00:00:00Z", "2025-05-21T00:00:00Z", "2025-08-01T00:00:00Z"]
    ids = [create(title=f"Story {n}", published_at=at, countries=["kazakhstan"])["id"]
           for n, at in enumerate(stamps)]
    create(title="Elsewhere", countries=["kyrgyzstan"], published_at="2025-04-01T00:00:00Z")
    return ids


def test_a_cursor_walk_sees_every_article_once_in_order(client, seven) -> None:
    url, seen = "/api/articles?country=kazakhstan&per_page=3", []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.get_json()
        seen += [item["id"] for item in body["items"]]
        assert body["total"] == 7
        url = next_link(response)
        if url:
            assert "country=kazakhstan" in url and "per_page=3" in url
    assert seen == list(reversed(seven))
    assert body["page"] is None and len(body["items"]) == 1


def test_page_numbers_and_the_cursor_agree(client, seven) -> None:
    by_page = [item["id"] for n in (1, 2, 3)
               for item in client.get(f"/api/articles?country=kz&per_page=3&page={n}").get_json()["items"]]
    assert by_page == list(reversed(seven))
    assert next_link(client.get("/api/articles?country=kz&per_page=3&page=3")) is None
    assert next_link(client.get("/api/articles?country=kz&per_page=3&page=2")) is not None


@pytest.mark.parametrize("after", ["garbage!", "AAAA", "MTIzNA", "x" * 41, "LTEuMQ", "MS45OTk5OTk5OTk5"])
def test_a_tampered_cursor_is_a_400(client, seven, no_tracebacks, after) -> None:
    response = client.get("/api/articles", query_string={"after": after})
    assert response.status_code == 400
    assert "after" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize("query", ["page=2", "q=story", "page=1"])
def test_a_cursor_takes_no_page_or_search(client, seven, no_tracebacks, query) -> None:
    after = Cursor(datetime(2025, 6, 1, tzinfo=UTC), 10).encode()
    response = client.get(f"/api/articles?after={after}&{query}")
    assert response.status_code == 400 and "after" in response.get_json()["error"]["fields"]


def test_a_cursor_past_the_end_gives_an_empty_page(client, seven) -> None:
    after = Cursor(datetime(1990, 1, 1, tzinfo=UTC), 1).encode()
    response = client.get(f"/api/articles?after={after}")
    assert response.status_code == 200 and response.get_json()["items"] == []
    assert "Link" not in response.headers


def test_deep_html_pages_match_the_order(client, create) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(23):  # about one a fortnight: the pages cross many months
        create(title=f"Story {n}", published_at=(start + timedelta(days=15 * n)).isoformat(),
               countries=["kazakhstan"])
    shown = []
    for number in range(1, 9):
        response = client.get(f"/kazakhstan?per_page=3&page={number}")
        assert response.status_code == 200
        shown += re.findall(r">Story (\d+)<", response.get_data(as_text=True))
    assert shown == [str(n) for n in range(22, -1, -1)]
    assert client.get("/kazakhstan?per_page=3&page=9").status_code == 404
