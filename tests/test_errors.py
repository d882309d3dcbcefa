"""One error shape: JSON under /api, /feeds and /rates, HTML pages elsewhere; bugs logged, never shown."""

from __future__ import annotations

import logging

import pytest
from werkzeug.exceptions import Conflict

from feedsvc.core.errors import BadRequestParams, error_response, flatten_messages


def test_error_response_shape(app) -> None:
    with app.test_request_context("/api/articles"):
        response = error_response(422, "bad", {"title": ["missing"]}, {"X-Extra": "1"})
    assert response.status_code == 422
    error = {"status": 422, "message": "bad", "fields": {"title": ["missing"]}}
    assert response.get_json() == {"error": error}
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Extra"] == "1"


def test_error_response_without_fields_and_with_lone_surrogates(app) -> None:
    with app.test_request_context("/api/articles"):
        response = error_response(400, "bad \ud800 value", {"k\udfff": ["v\ud800"]})
    body = response.get_json()["error"]
    assert body["message"] == "bad ? value" and body["fields"] == {"k?": ["v?"]}
    with app.test_request_context("/api/articles"):
        assert "fields" not in error_response(404, "nothing").get_json()["error"]


def test_flatten_messages() -> None:
    messages = {"json": {"countries": {0: ["bad"]}, "_schema": ["Invalid input type."], "title": "x"}}
    flat = {"countries.0": ["bad"], "body": ["Invalid input type."], "title": ["x"]}
    assert flatten_messages(messages) == flat
    assert flatten_messages(["oops"]) == {"_schema": ["oops"]}


@pytest.fixture
def boom_app(app):
    """The app with routes that fail in known ways."""

    def bug() -> str:
        raise RuntimeError("secret detail of a bug")

    def bad_params() -> str:
        raise BadRequestParams("pairs: unknown XYZ", {"pairs": ["allowed: KGS/USD"]})

    def conflict() -> str:
        raise Conflict("already there")

    for prefix in ("/api/test", "/test"):
        app.add_url_rule(f"{prefix}/bug", f"bug{prefix}", bug)
        app.add_url_rule(f"{prefix}/params", f"params{prefix}", bad_params)
        app.add_url_rule(f"{prefix}/conflict", f"conflict{prefix}", conflict)
    return app


def test_a_bug_is_logged_and_answered_500_without_details(boom_app, caplog) -> None:
    client = boom_app.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/test/bug")
    assert response.status_code == 500
    assert response.get_json()["error"]["status"] == 500
    assert "secret detail" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.exc_info and "secret detail" in str(record.exc_info[1])


def test_a_bug_on_an_html_page_is_an_html_500(boom_app, caplog) -> None:
    with caplog.at_level(logging.CRITICAL):
        response = boom_app.test_client().get("/test/bug")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "secret detail" not in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def test_bad_request_params_are_400_with_fields(boom_app) -> None:
    response = boom_app.test_client().get("/api/test/params")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": {"status": 400, "message": "pairs: unknown XYZ", "fields": {"pairs": ["allowed: KGS/USD"]}}
    }


def test_html_pages_get_html_errors_with_the_same_status(boom_app) -> None:
    client = boom_app.test_client()
    response = client.get("/test/conflict")
    assert response.status_code == 409 and response.mimetype == "text/html"
    assert "already there" in response.get_data(as_text=True)
    assert client.get("/api/test/conflict").get_json()["error"]["status"] == 409


@pytest.mark.parametrize("path", ["/feeds/nowhere.xyz", "/rates/nothing.json", "/api/nothing"])
def test_machine_paths_answer_json_404(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json()["error"]["status"] == 404


def test_unknown_pages_answer_html_404(client) -> None:
    response = client.get("/no/such/page/here")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"


def test_nul_in_a_query_string_is_400_everywhere(client) -> None:
    assert client.get("/api/articles?q=%00").status_code == 400
    assert client.get("/?x=%00").status_code == 400
    assert client.get("/healthz?x=%00").get_json()["error"]["status"] == 400


def test_401_carries_www_authenticate(client) -> None:
    response = client.delete("/api/articles/1")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_errors_of_public_read_endpoints_are_readable_cross_origin(client):
    for path in ("/feeds/kazakhstan.json?limit=0", "/rates.json?from=yesterday", "/feeds/atlantis.json"):
        response = client.get(path)
        assert response.status_code in (400, 404), path
        assert response.headers["Access-Control-Allow-Origin"] == "*", path
        assert response.get_json()["error"]["status"] == response.status_code


def test_api_errors_are_not_opened_to_other_origins(client):
    response = client.post("/api/articles", json={})
    assert response.status_code == 401
    assert "Access-Control-Allow-Origin" not in response.headers
