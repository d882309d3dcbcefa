"""Bearer tokens: creation, hashing, verification, revocation, and the 401 answers of the write API."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from feedsvc.core import auth
from feedsvc.core.db import new_session
from feedsvc.core.models import ApiToken, Article, ChangeMarker

BODY = {"title": "Tariff review for rail freight", "countries": ["kyrgyzstan"]}


def _state(app) -> tuple:
    """Every article row and every change marker: equal states mean nothing was written."""
    with app.app_context(), new_session() as session:
        articles = session.execute(select(Article.id, Article.title, Article.updated_at)).all()
        markers = session.execute(select(ChangeMarker.scope, ChangeMarker.revision)).all()
        last_used = session.execute(select(ApiToken.name, ApiToken.last_used_at)).all()
    return sorted(articles), sorted(markers), sorted(last_used)


def _writes(client, headers, article_id=1):
    return [
        client.post("/api/articles", json=BODY, headers=headers),
        client.patch(f"/api/articles/{article_id}", json={"title": "x"}, headers=headers),
        client.delete(f"/api/articles/{article_id}", headers=headers),
    ]


def _assert_401(response) -> None:
    assert response.status_code == 401, response.get_data(as_text=True)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["Cache-Control"] == "no-store"
    error = response.get_json()["error"]
    assert error["status"] == 401 and error["message"]


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="missing"),
        pytest.param({"Authorization": ""}, id="empty"),
        pytest.param({"Authorization": "Bearer"}, id="bearer-without-token"),
        pytest.param({"Authorization": "Bearer fsv_not-a-real-token"}, id="wrong"),
        pytest.param({"Authorization": "Basic dXNlcjpwYXNz"}, id="basic-scheme"),
        pytest.param({"Authorization": "Token fsv_x"}, id="other-scheme"),
        pytest.param({"Authorization": "Bearer \u00e9\u00e9"}, id="non-ascii"),
    ],
)
def test_writes_without_a_valid_token_are_401(app, client, auth_headers, headers, caplog) -> None:
    created = client.post("/api/articles", json=BODY, headers=auth_headers)
    assert created.status_code == 201
    before = _state(app)
    for response in _writes(client, headers, created.get_json()["id"]):
        _assert_401(response)
    assert _state(app) == before
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_the_token_is_checked_before_the_body(client) -> None:
    response = client.post("/api/articles", data="{bad", content_type="application/json")
    _assert_401(response)


def test_a_revoked_token_stops_working(app, client, runner, token, auth_headers) -> None:
    assert client.post("/api/articles", json=BODY, headers=auth_headers).status_code == 201
    result = runner.invoke(args=["token", "revoke", "tests"])
    assert result.exit_code == 0, result.output
    before = _state(app)
    for response in _writes(client, auth_headers):
        _assert_401(response)
    assert _state(app) == before


def test_reads_need_no_token(client) -> None:
    assert client.get("/api/articles").status_code == 200
    assert client.get("/api/articles/1").status_code == 404


def test_only_the_hash_is_stored(app, token) -> None:
    with app.app_context(), new_session() as session:
        stored = session.scalars(select(ApiToken)).one()
    assert stored.name == "tests"
    assert stored.token_hash == auth.hash_token(token)
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    assert token.startswith(auth.TOKEN_PREFIX) and len(token) > 40


def test_verify_token(app, token) -> None:
    with app.app_context(), new_session() as session:
        assert auth.verify_token(session, token).name == "tests"
        assert auth.verify_token(session, token + "x") is None
        assert auth.verify_token(session, "") is None


def test_tokens_are_random(app) -> None:
    with app.app_context(), new_session() as session:
        first, second = auth.create_token(session, "a"), auth.create_token(session, "b")
        session.commit()
        assert first != second
        assert [t.name for t in auth.list_tokens(session)] == ["a", "b"]


def test_a_successful_write_records_last_use(app, client, token, auth_headers) -> None:
    with app.app_context(), new_session() as session:
        assert auth.verify_token(session, token).last_used_at is None
    assert client.post("/api/articles", json=BODY, headers=auth_headers).status_code == 201
    with app.app_context(), new_session() as session:
        assert auth.verify_token(session, token).last_used_at is not None
