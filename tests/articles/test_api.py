"""The article API when used right: create, read, list, filter, edit, delete, countries, OpenAPI."""

from __future__ import annotations

import json
import re

import pytest
from article_helpers import article_body, assert_error, markers
from openapi_spec_validator import validate

from config import parse_countries

pytestmark = pytest.mark.usefixtures("no_tracebacks")


def test_create_answers_201_with_location_and_the_article(client, auth_headers) -> None:
    response = client.post("/api/articles", json=article_body(external_id="desk-1"), headers=auth_headers)
    assert response.status_code == 201
    article = response.get_json()
    assert response.headers["Location"] == f"http://localhost/api/articles/{article['id']}"
    assert article["title"] == "Reservoir levels rise on the Syr Darya"
    assert article["countries"] == ["kazakhstan", "uzbekistan"]
    assert article["tags"] == ["energy", "water"]
    assert article["published_at"] == "2025-04-02T08:30:00+00:00"
    assert article["updated_at"].endswith("+00:00")
    assert article["language"] == "en"
    assert article["external_id"] == "desk-1"
    assert article["url"].startswith(f"http://localhost/articles/{article['id']}/reservoir-levels")
    assert client.get(response.headers["Location"]).get_json() == article


def test_countries_accept_iso_codes_and_duplicates(create) -> None:
    assert create(countries=["kz", "kazakhstan", "tm"])["countries"] == ["kazakhstan", "turkmenistan"]



def test_a_minimal_article_gets_defaults(client, auth_headers) -> None:
    body = {"title": "Short", "countries": ["tajikistan"], "published_at": "2025-03-01"}
    article = client.post("/api/articles", json=body, headers=auth_headers).get_json()
    assert article["summary"] == "" and article["content_html"] == "" and article["tags"] == []
    assert article["author"] is None and article["image_url"] is None and article["source_url"] is None
    assert article["published_at"] == "2025-03-01T00:00:00+00:00"


def test_published_at_offsets_are_stored_in_utc(create) -> None:
    assert create(published_at="2025-04-02T10:00:00+05:00")["published_at"] == "2025-04-02T05:00:00+00:00"
    assert create(published_at="2025-04-02T10:00:00")["published_at"] == "2025-04-02T10:00:00+00:00"
    assert create(published_at="2025-04-02t10:00:00z")["published_at"] == "2025-04-02T10:00:00+00:00"


def test_html_is_sanitised_and_text_is_plain(create) -> None:
    article = create(
        title="<b>Tariffs</b> &amp; <i>trade</i> &amp;amp; more",
        summary="<p onclick='x()'>Rail &lt;freight&gt; grows</p>",
        content_html=(
            '<p onmouseover="steal()">Text<script>alert(1)</script></p>'
            '<a href="javascript:alert(1)">bad</a><a href="/report.pdf">report</a>'
            '<img src="img/chart.png" onerror="x()"><iframe src="https://evil.example"></iframe>'
        ),
        source_url="https://news.example.org/2025/04/story.html",
        author="Staff <desk@example.org>",
    )
    assert article["title"] == "Tariffs & trade &amp; more"
    assert article["summary"] == "Rail &lt;freight&gt; grows"  # a tag typed as entities stays as typed
    html = article["content_html"]
    for forbidden in ("script", "onmouseover", "onerror", "javascript:", "iframe", "alert"):
        assert forbidden not in html
    assert 'href="https://news.example.org/report.pdf"' in html
    assert 'src="https://news.example.org/2025/04/img/chart.png"' in html
    assert 'rel="noopener noreferrer"' in html
    assert article["author"] == "Staff <desk@example.org>"


ILLEGAL = "\x00\x01\x08\x0b\x1f\x7f\x80\x85\x9f\ufffe\uffff"


@pytest.mark.parametrize("field", ["title", "summary", "author", "content_html"])
def test_illegal_characters_are_removed_from_every_text_field(client, auth_headers, field) -> None:
    body = article_body(**{field: f"Gas{ILLEGAL} prices"})
    raw = json.dumps(body).replace("prices", "\\ud800prices\\udfff")
    response = client.post("/api/articles", data=raw, headers=auth_headers, content_type="application/json")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()[field] == "Gas prices"
    stored = client.get(f"/api/articles/{response.get_json()['id']}").get_json()
    assert stored[field] == "Gas prices"


def test_patch_changes_only_given_fields_and_keeps_uuid(client, auth_headers, create) -> None:
    article = create(image_url="https://picsum.photos/seed/dam/800/450")
    response = client.patch(
        f"/api/articles/{article['id']}",
        json={"title": "New <i>title</i>", "countries": ["kyrgyzstan"], "tags": [], "image_url": None},
        headers=auth_headers,
    )
    assert response.status_code == 200
    patched = response.get_json()
    assert patched["uuid"] == article["uuid"] and patched["id"] == article["id"]
    assert patched["title"] == "New title"
    assert patched["countries"] == ["kyrgyzstan"] and patched["tags"] == [] and patched["image_url"] is None
    assert patched["summary"] == article["summary"] and patched["published_at"] == article["published_at"]
    assert patched["updated_at"] > article["updated_at"]


def test_an_image_on_this_site_is_stored_as_a_path_and_answered_absolute(app, client, auth_headers) -> None:
    body = article_body(image_url="/assets/demo/dam.png", image_width=800, image_height=450,
                        image_alt="A <b>dam</b> between hills",
                        content_html='<a href="/kazakhstan">K</a><img src="/assets/x.png" alt="x">')
    created = client.post("/api/articles", json=body, headers=auth_headers, base_url="http://127.0.0.1:8601")
    assert created.status_code == 201, created.get_data(as_text=True)
    article = created.get_json()
    assert article["image_url"] == "http://127.0.0.1:8601/assets/demo/dam.png"
    size = (article["image_width"], article["image_height"], article["image_alt"])
    assert size == (800, 450, "A dam between hills")
    again = client.get(f"/api/articles/{article['id']}", base_url="https://news.example.org").get_json()
    assert again["image_url"] == "https://news.example.org/assets/demo/dam.png"
    assert 'href="https://news.example.org/kazakhstan"' in again["content_html"]
    assert 'src="https://news.example.org/assets/x.png"' in again["content_html"]


@pytest.mark.parametrize("size", [0, 10_001, "800", 1.5, True])
def test_an_image_size_is_a_whole_number_of_pixels(client, auth_headers, size) -> None:
    response = client.post("/api/articles", json=article_body(image_width=size), headers=auth_headers)
    assert_error(response, 422)
    assert "image_width" in response.get_json()["error"]["fields"]


def test_another_image_forgets_the_old_ones_size_and_description(client, auth_headers, create) -> None:
    article = create(image_url="https://images.example.org/a.jpg", image_width=1200, image_height=800,
                     image_alt="A field")
    same = client.patch(f"/api/articles/{article['id']}", json={"title": "Renamed"}, headers=auth_headers)
    assert (same.get_json()["image_width"], same.get_json()["image_alt"]) == (1200, "A field")
    other = client.patch(f"/api/articles/{article['id']}", json={"image_url": "https://images.example.org/b.jpg"},
                         headers=auth_headers).get_json()
    assert (other["image_width"], other["image_height"], other["image_alt"]) == (None, None, None)


def test_delete_answers_204_then_410(client, auth_headers, create) -> None:
    article = create()
    response = client.delete(f"/api/articles/{article['id']}", headers=auth_headers)
    assert response.status_code == 204 and response.data == b""
    assert_error(client.get(f"/api/articles/{article['id']}"), 410)
    assert_error(client.delete(f"/api/articles/{article['id']}", headers=auth_headers), 410)
    assert_error(client.get(f"/api/articles/{article['id'] + 1}"), 404)  # never existed


def test_writes_through_the_api_bump_change_markers(app, client, auth_headers, create) -> None:
    start = markers(app)
    article = create(countries=["kazakhstan"])
    after_create = markers(app)
    assert after_create["articles"] == start["articles"] + 1
    assert after_create["articles:kazakhstan"] == start["articles:kazakhstan"] + 1
    assert after_create["articles:uzbekistan"] == start["articles:uzbekistan"]
    client.patch(f"/api/articles/{article['id']}", json={"countries": ["uzbekistan"]}, headers=auth_headers)
    after_patch = markers(app)
    assert after_patch["articles:kazakhstan"] == after_create["articles:kazakhstan"] + 1
    assert after_patch["articles:uzbekistan"] == after_create["articles:uzbekistan"] + 1
    client.delete(f"/api/articles/{article['id']}", headers=auth_headers)
    after_delete = markers(app)
    assert after_delete["articles"] == after_patch["articles"] + 1
    assert after_delete["articles:uzbekistan"] == after_patch["articles:uzbekistan"] + 1
    assert after_delete["articles:kazakhstan"] == after_patch["articles:kazakhstan"]


def test_list_filters_and_pages_newest_first(client, create) -> None:
    create(title="Old water story", published_at="2025-01-05T00:00:00Z", countries=["kazakhstan"],
           tags=["water"])
    create(title="Rail freight", published_at="2025-03-05T00:00:00Z", countries=["kyrgyzstan"],
           tags=["transport"], summary="Wagons", content_html="<p>Dry port</p>")
    create(title="New water story", published_at="2025-02-05T00:00:00Z", countries=["kazakhstan"],
           tags=["water"])

    def titles(query: str) -> list[str]:
        return [a["title"] for a in client.get(f"/api/articles?{query}").get_json()["items"]]

    assert titles("") == ["Rail freight", "New water story", "Old water story"]
    assert titles("country=kazakhstan") == ["New water story", "Old water story"]
    assert titles("country=kz") == ["New water story", "Old water story"]
    assert titles("tag=transport") == ["Rail freight"]
    assert titles("tag=Transport") == ["Rail freight"]
    assert titles("q=dry+PORT") == ["Rail freight"]
    assert titles("q=wagons") == ["Rail freight"]
    assert titles("q=50%25") == []
    assert titles("tag=nothing") == []
    page = client.get("/api/articles?per_page=2&page=2").get_json()
    assert [a["title"] for a in page["items"]] == ["Old water story"]
    assert (page["page"], page["per_page"], page["total"], page["pages"]) == (2, 2, 3, 2)


def test_countries_list_the_five_with_feeds(client) -> None:
    response = client.get("/api/countries")
    assert response.status_code == 200
    items = response.get_json()["items"]
    slugs = ["kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"]
    assert [c["slug"] for c in items] == slugs
    kz = items[0]
    assert (kz["code"], kz["name"], kz["currency"]) == ("kz", "Kazakhstan", "KZT")
    assert kz["feeds"]["rss"].startswith("http://localhost/feeds/kazakhstan")
    assert set(kz["feeds"]) == {"rss", "atom", "json"}


def test_openapi_document_is_valid_and_documents_bearer_auth(client) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}
    paths = spec["paths"]
    assert paths["/api/articles"]["post"]["security"] == [{"bearerAuth": []}]
    assert paths["/api/articles/{article_id}"]["patch"]["security"] == [{"bearerAuth": []}]
    assert paths["/api/articles/{article_id}"]["delete"]["security"] == [{"bearerAuth": []}]
    # Reads are public; a token adds the scheduled articles.
    assert paths["/api/articles"]["get"]["security"] == [{}, {"bearerAuth": []}]
    assert paths["/api/articles/{article_id}"]["get"]["security"] == [{}, {"bearerAuth": []}]
    status = spec["components"]["schemas"]["ArticleOut"]["properties"]["status"]
    assert status["enum"] == ["published", "scheduled"]
    body = paths["/api/articles"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/ArticleIn")
    assert {"401", "422"} <= set(paths["/api/articles"]["post"]["responses"])


def test_openapi_documents_our_error_shape(client) -> None:
    spec = client.get("/api/openapi.json").get_json()
    error = spec["components"]["schemas"]["Error"]
    assert error["properties"]["error"]["$ref"].endswith("/ErrorDetail")
    detail = spec["components"]["schemas"]["ErrorDetail"]["properties"]
    assert set(detail) == {"status", "message", "fields"}
    responses = spec["paths"]["/api/articles/{article_id}"]["get"]["responses"]
    assert responses["404"]["$ref"].endswith("/NOT_FOUND")


def test_openapi_states_the_constraints_the_server_enforces(app, client) -> None:
    spec = client.get("/api/openapi.json").get_json()
    names = ["kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan",
             "kz", "kg", "tj", "tm", "uz"]
    body = spec["components"]["schemas"]["ArticleIn"]["properties"]
    assert body["countries"]["items"]["enum"] == names
    assert spec["components"]["schemas"]["ArticlePatch"]["properties"]["countries"]["items"]["enum"] == names
    query = {p["name"]: p["schema"] for p in spec["paths"]["/api/articles"]["get"]["parameters"]}
    assert query["country"]["enum"] == names
    assert (query["page"]["minimum"], query["page"]["maximum"]) == (1, 1_000_000)
    assert (query["per_page"]["minimum"], query["per_page"]["maximum"]) == (1, 100)
    assert (query["tag"]["maxLength"], query["q"]["maxLength"]) == (64, 500)
    assert body["source_url"]["format"] == "uri" and body["source_url"]["pattern"] == "^https?://"
    # An image may also be a path on this site; "//host" and "/\\host" name other hosts and are refused.
    image = body["image_url"]
    assert image["format"] == "uri-reference" and image["pattern"] == "^(https?://|/[^/\\\\])"
    assert re.match(image["pattern"], "/assets/a.png") and not re.match(image["pattern"], "//cdn.example.org")
    assert body["source_url"]["maxLength"] == image["maxLength"] == 2048
    assert (body["image_width"]["minimum"], body["image_width"]["maximum"]) == (1, 10_000)
    forms = body["published_at"]["anyOf"]
    assert forms[:2] == [{"format": "date-time"}, {"format": "date"}]  # and the date-time without offset
    assert re.fullmatch(forms[2]["pattern"], "2025-04-02T08:30:00.5") and forms[2]["pattern"].endswith("$")
    description = body["published_at"]["description"]
    assert "1990-01-01" in description and "2999" in description
    patterns = [body["language"]["pattern"], body["tags"]["items"]["pattern"]]
    assert all(p.startswith("^") and p.endswith("$") and "\\Z" not in p for p in patterns)


def test_the_country_enum_follows_the_configured_countries(app_factory) -> None:
    app = app_factory(COUNTRIES=parse_countries("kz:KZT,uz:UZS"))
    spec = app.test_client().get("/api/openapi.json").get_json()
    items = spec["components"]["schemas"]["ArticleIn"]["properties"]["countries"]["items"]
    assert items["enum"] == ["kazakhstan", "uzbekistan", "kz", "uz"]


def test_a_patch_that_changes_nothing_writes_nothing(app, client, auth_headers, create) -> None:
    article = create()
    before = markers(app)
    same = {"title": article["title"], "countries": list(reversed(article["countries"])),
            "tags": article["tags"], "published_at": "2025-04-02T13:30:00+05:00"}
    for body in ({}, same):
        response = client.patch(f"/api/articles/{article['id']}", json=body, headers=auth_headers)
        assert response.status_code == 200
        assert response.get_json() == article
    assert markers(app) == before
