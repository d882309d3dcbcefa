"""``source_url`` and ``image_url`` are URIs: what RFC 3986 does not allow as such is a 422, not stored."""

from __future__ import annotations

import pytest

ARTICLE = {"title": "Links", "countries": ["kazakhstan"]}


@pytest.mark.parametrize("url", [
    'https://example.org/a"onmouseover="alert(1)', "https://example.org/<script>", "https://example.org/a b",
    "https://example.org/tab\there", "https://example.org/%zz", "https://example.org/{x}",
    "https://example.org/pay\u202eexe.gif", "https://example.org/\u00a0", "javascript:alert(1)",
    "ftp://example.org/file",
])
@pytest.mark.parametrize("field", ["source_url", "image_url"])
def test_a_url_field_that_is_not_a_uri_is_a_422(client, auth_headers, field: str, url: str) -> None:
    response = client.post("/api/articles", json={**ARTICLE, field: url}, headers=auth_headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert list(response.get_json()["error"]["fields"]) == [field]


@pytest.mark.parametrize("url", ["https://example.org/a%20b?q=1&r=%C3%A9#top",
                                 "https://ru.wikipedia.org/wiki/Казахстан", "http://localhost:8080/x.png"])
def test_a_uri_or_an_iri_is_stored_as_given(client, auth_headers, url: str) -> None:
    response = client.post("/api/articles", json={**ARTICLE, "source_url": url, "image_url": url},
                           headers=auth_headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.get_json()["source_url"], response.get_json()["image_url"]) == (url, url)
