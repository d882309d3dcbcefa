"""Bad API request bodies (malformed, wrong type, too large, invalid fields, duplicate external_id): each
answered in the JSON error shape, nothing written, no traceback logged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from article_helpers import article_body, assert_error, snapshot

pytestmark = pytest.mark.usefixtures("no_tracebacks")

MISSING = object()


def without(field: str) -> dict[str, Any]:
    body = article_body()
    del body[field]
    return body


def post_raw(client, data: bytes | str, headers: dict, content_type: str | None = "application/json"):
    return client.post("/api/articles", data=data, headers=headers, content_type=content_type)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param('{"title": "half', id="truncated"),
        pytest.param("{'title': 'single quotes'}", id="single-quotes"),
        pytest.param('{"title": "x",}', id="trailing-comma"),
        pytest.param("", id="empty"),
        pytest.param("   \n", id="blank"),
        pytest.param(b'{"title": "\xff\xfe", "countries": ["kazakhstan"]}', id="invalid-utf8"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="nested-too-deep"),
        pytest.param('{"title": NaN}', id="nan"),
    ],
)
def test_malformed_json_is_400(app, client, auth_headers, data) -> None:
    before = snapshot(app)
    assert_error(post_raw(client, data, auth_headers), 400)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
def test_wrong_content_type_is_415(app, client, auth_headers, content_type) -> None:
    before = snapshot(app)
    response = post_raw(client, json.dumps(article_body()), auth_headers, content_type)
    assert_error(response, 415)
    assert snapshot(app) == before


@pytest.mark.parametrize("data", ["[]", "null", '"an article"', "42", "true", json.dumps([article_body()])])
def test_json_that_is_not_an_object_is_422(app, client, auth_headers, data) -> None:
    before = snapshot(app)
    assert_error(post_raw(client, data, auth_headers), 422, "body")
    assert snapshot(app) == before


BAD_FIELDS = [
    # title
    ("title", without("title"), "missing"),
    ("title", article_body(title=""), "empty"),
    ("title", article_body(title=" \t\n "), "whitespace-only"),
    ("title", article_body(title="<b></b><script>alert(1)</script>"), "markup-only"),
    ("title", article_body(title="\x01\x02\u0085\ufffe"), "illegal-characters-only"),
    ("title", article_body(title="x" * 10_000), "10000-chars"),
    ("title", article_body(title="x" * 301), "301-chars"),
    ("title", article_body(title=None), "null"),
    ("title", article_body(title=5), "number"),
    ("title", article_body(title=["a"]), "list"),
    # countries
    ("countries", without("countries"), "countries-missing"),
    ("countries.0", article_body(countries=["atlantis"]), "countries-unknown"),
    ("countries.1", article_body(countries=["kazakhstan", "mordor"]), "countries-one-unknown"),
    ("countries", article_body(countries=[]), "countries-empty"),
    ("countries", article_body(countries="kazakhstan"), "countries-string"),
    ("countries", article_body(countries={"kazakhstan": True}), "countries-object"),
    ("countries", article_body(countries=None), "countries-null"),
    ("countries.0", article_body(countries=[7]), "countries-number"),
    ("countries.0", article_body(countries=[""]), "countries-empty-string"),
    ("countries.0", article_body(countries=["kazakhstan\x00"]), "countries-nul"),
    ("countries.0", article_body(countries=["KZ"]), "countries-upper-case-code"),
    ("countries.0", article_body(countries=["Kazakhstan"]), "countries-name"),
    ("countries.0", article_body(countries=["kazakhstan\n"]), "countries-trailing-newline"),
    # dates
    ("published_at", article_body(published_at="2025-02-30"), "feb-30"),
    ("published_at", article_body(published_at="2025-02-30T10:00:00Z"), "feb-30-time"),
    ("published_at", article_body(published_at="yesterday"), "yesterday"),
    ("published_at", article_body(published_at="2025-13-01T00:00:00Z"), "month-13"),
    ("published_at", article_body(published_at="2025-04-01T25:00:00Z"), "hour-25"),
    ("published_at", article_body(published_at=1743465600), "epoch-number"),
    ("published_at", article_body(published_at="0001-01-01T00:00:00+01:00"), "year-1-offset"),
    ("published_at", article_body(published_at="1066-10-14T09:00:00Z"), "too-old"),
    ("published_at", article_body(published_at="1989-12-31T23:59:59Z"), "before-1990-implausible-in-feeds"),
    ("published_at", article_body(published_at="1990-01-01T03:00:00+05:00"), "1989-once-in-utc"),
    ("published_at", article_body(published_at="3000-01-01T00:00:00Z"), "beyond-the-documented-2999"),
    ("published_at", article_body(published_at=None), "published-null"),
    ("published_at", article_body(published_at="2025-04-02\n"), "date-trailing-newline"),
    ("published_at", article_body(published_at="2025-04-02T08:30"), "no-seconds"),
    ("published_at", article_body(published_at="2025-04-02 08:30:00Z"), "space-for-t"),
    ("published_at", article_body(published_at="2025-04-02T08:30:00+0500"), "offset-without-colon"),
    ("published_at", article_body(published_at="٢٠٢٥-04-02"), "arabic-indic-digits"),
    # wrong types and formats
    ("summary", article_body(summary=["a", "b"]), "summary-list"),
    ("content_html", article_body(content_html=3), "content-number"),
    ("author", article_body(author={"name": "x"}), "author-object"),
    ("tags", article_body(tags="water"), "tags-string"),
    ("tags.0", article_body(tags=[1]), "tags-number"),
    ("tags.0", article_body(tags=["not a slug"]), "tags-not-slug"),
    ("tags.0", article_body(tags=["water\n"]), "tags-trailing-newline"),
    ("tags.0", article_body(tags=["wa\x00ter"]), "tags-nul"),
    ("language", article_body(language="english!"), "language-bad"),
    ("language", article_body(language="en\n"), "language-newline"),
    ("language", article_body(language=None), "language-null"),
    ("external_id", article_body(external_id=7), "external-id-number"),
    ("external_id", article_body(external_id=""), "external-id-empty"),
    ("external_id", article_body(external_id="feed-\x00-1"), "external-id-nul"),
    ("external_id", article_body(external_id="feed-\x07-1"), "external-id-bell"),
    ("external_id", article_body(external_id="feed-\u0085-1"), "external-id-c1"),
    ("external_id", article_body(external_id="feed-\ufffe-1"), "external-id-fffe"),
    ("source_url", article_body(source_url="not a url"), "source-url-bad"),
    ("source_url", article_body(source_url="ftp://example.org/a"), "source-url-ftp"),
    ("source_url", article_body(source_url="https://example.org/\x00"), "source-url-nul"),
    ("source_url", article_body(source_url="HTTPS://example.org/a"), "source-url-upper-case-scheme"),
    # image_url: only absolute http(s), or a path on this site (one leading slash)
    ("image_url", article_body(image_url="javascript:alert(1)"), "image-javascript"),
    ("image_url", article_body(image_url="JaVaScRiPt:alert(1)"), "image-javascript-case"),
    ("image_url", article_body(image_url="data:image/png;base64,iVBORw0KGgo="), "image-data"),
    ("image_url", article_body(image_url="static/a.jpg"), "image-relative"),
    ("image_url", article_body(image_url="/\\cdn.example.org/a.jpg"), "image-backslash-host"),
    ("image_url", article_body(image_url="//cdn.example.org/a.jpg"), "image-scheme-relative"),
    ("image_url", article_body(image_url="https://example.org/a.jpg\u009f"), "image-c1"),
    # fields the API does not take
    ("colour", article_body(colour="red"), "unknown-field"),
    ("uuid", article_body(uuid="6a1f6b5c-2a57-4b8f-9c7b-3c0a5a7c1e11"), "uuid-not-writable"),
    ("id", article_body(id=5), "id-not-writable"),
]


@pytest.mark.parametrize(("field", "body"), [pytest.param(f, b, id=i) for f, b, i in BAD_FIELDS])
def test_invalid_fields_are_422(app, client, auth_headers, field, body) -> None:
    before = snapshot(app)
    response = client.post("/api/articles", json=body, headers=auth_headers)
    assert_error(response, 422, field)
    assert snapshot(app) == before


@pytest.mark.parametrize(
    ("escape", "field"),
    [
        ('{"title": "ok", "countries": ["\\ud800"]}', "countries.0"),
        ('{"title": "ok", "countries": ["kazakhstan"], "external_id": "a\\udfff"}', "external_id"),
        ('{"title": "ok", "countries": ["kazakhstan"], "tags": ["\\ud800"]}', "tags.0"),
        ('{"title": "ok", "countries": ["kazakhstan"], "image_url": "https://e.org/\\ud800"}', "image_url"),
        ('{"title": "ok", "countries": ["kazakhstan"], "ti\\ud800tle": "x"}', None),
    ],
)
def test_lone_surrogates_in_identifiers_are_422(app, client, auth_headers, escape, field) -> None:
    before = snapshot(app)
    response = post_raw(client, escape, auth_headers)
    error = assert_error(response, 422, field)
    assert "\ud800" not in json.dumps(error, ensure_ascii=False)
    assert snapshot(app) == before


def test_a_2mb_body_is_413(app, client, auth_headers) -> None:
    before = snapshot(app)
    body = json.dumps(article_body(content_html="<p>" + "x" * (2 * 1024 * 1024) + "</p>"))
    assert_error(post_raw(client, body, auth_headers), 413)
    assert snapshot(app) == before


def test_a_body_just_under_the_limit_is_accepted(client, auth_headers) -> None:
    body = json.dumps(article_body(content_html="<p>" + "x" * (1024 * 1024 - 2000) + "</p>"))
    assert post_raw(client, body, auth_headers).status_code == 201


def test_duplicate_external_id_is_409(app, client, auth_headers, create) -> None:
    create(external_id="wire-1")
    before = snapshot(app)
    response = client.post("/api/articles", json=article_body(external_id="wire-1"), headers=auth_headers)
    assert_error(response, 409)
    assert snapshot(app) == before


def test_duplicate_external_id_by_patch_is_409(app, client, auth_headers, create) -> None:
    create(external_id="wire-1")
    other = create(external_id="wire-2", title="Another story")
    before = snapshot(app)
    response = client.patch(
        f"/api/articles/{other['id']}", json={"external_id": "wire-1", "title": "Changed"},
        headers=auth_headers,
    )
    assert_error(response, 409)
    assert snapshot(app) == before


def test_patch_keeping_its_own_external_id_is_fine(client, auth_headers, create) -> None:
    article = create(external_id="wire-1")
    response = client.patch(
        f"/api/articles/{article['id']}", json={"external_id": "wire-1", "title": "Retitled"},
        headers=auth_headers,
    )
    assert response.status_code == 200
    assert response.get_json()["title"] == "Retitled"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"countries": []}, "countries"),
        ({"countries": ["atlantis"]}, "countries.0"),
        ({"countries": None}, "countries"),
        ({"published_at": "2025-02-30"}, "published_at"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"uuid": "6a1f6b5c-2a57-4b8f-9c7b-3c0a5a7c1e11"}, "uuid"),
        ({"language": None}, "language"),
    ],
)
def test_invalid_patch_is_422_and_writes_nothing(app, client, auth_headers, create, body, field) -> None:
    article = create()
    before = snapshot(app)
    response = client.patch(f"/api/articles/{article['id']}", json=body, headers=auth_headers)
    assert_error(response, 422, field)
    assert snapshot(app) == before


@pytest.mark.parametrize("data", ["[]", "null", "{bad"])
def test_patch_with_a_non_object_body_fails(app, client, auth_headers, create, data) -> None:
    article = create()
    before = snapshot(app)
    response = client.patch(f"/api/articles/{article['id']}", data=data, headers=auth_headers,
                            content_type="application/json")
    assert_error(response, 400 if data == "{bad" else 422)
    assert snapshot(app) == before
