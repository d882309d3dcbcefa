"""Any Unicode in any field: the API cleans it or refuses it (201/409/422), never a 500, on both databases."""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsvc.articles.clean import has_illegal

NASTY = ["\x00", "\x01", "\x0b", "\x7f", "\x85", "\x9f", "\ud800", "\udfff", "\ufffe", "\uffff",
         "\U0010ffff", "<", ">", "&", "&amp;", "<script>", "\u202e", "\u00a0", "😀", "\r\n"]
TEXT = st.lists(st.one_of(st.characters(), st.sampled_from(NASTY)), max_size=30).map("".join)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _post(client, headers, body: dict):
    # ensure_ascii keeps lone surrogates as \ud800 escapes, as a JSON client would send them.
    return client.post("/api/articles", data=json.dumps(body), headers=headers,
                       content_type="application/json")


@SETTINGS
@given(text=TEXT)
def test_any_text_in_text_fields_is_cleaned(client, auth_headers, text: str) -> None:
    body = {"title": f"T {text}", "summary": text, "author": text, "content_html": text,
            "countries": ["kazakhstan"]}
    response = _post(client, auth_headers, body)
    assert response.status_code in (201, 422), response.get_data(as_text=True)
    if response.status_code == 201:
        article = client.get(response.headers["Location"]).get_json()
        for field in ("title", "summary", "author", "content_html"):
            assert not has_illegal(article[field] or "")


@SETTINGS
@given(value=TEXT)
def test_any_text_in_identifier_fields_is_stored_or_refused(client, auth_headers, value: str) -> None:
    for field, wrap in (("external_id", value), ("tags", [value]), ("countries", [value]),
                        ("language", value), ("image_url", f"https://e.org/{value}")):
        body = {"title": "Identifiers", "countries": ["kazakhstan"], field: wrap}
        response = _post(client, auth_headers, body)
        assert response.status_code in (201, 409, 422), (field, response.get_data(as_text=True))


@SETTINGS
@given(value=TEXT)
def test_any_text_in_the_query_string_is_answered(client, value: str) -> None:
    raw = quote(value.encode("utf-8", "surrogatepass"), safe="")  # the bytes a client could send
    for name in ("q", "country", "tag", "page"):
        response = client.get(f"/api/articles?{name}={raw}")
        assert response.status_code in (200, 400), response.get_data(as_text=True)
