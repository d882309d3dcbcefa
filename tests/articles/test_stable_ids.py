"""Stable ids: a deleted article's id is never handed out again, and its URLs answer 410 Gone."""

from __future__ import annotations

from article_helpers import assert_error


def test_a_deleted_id_is_never_reused_and_its_urls_are_gone(client, auth_headers, create) -> None:
    first = create(title="First story")
    doomed = create(title="Story that is taken down")  # the highest id: SQLite would hand it out again
    assert client.delete(f"/api/articles/{doomed['id']}", headers=auth_headers).status_code == 204
    again = create(title="Story written after the deletion")
    assert again["id"] > doomed["id"] > first["id"]
    assert client.get(f"/api/articles/{again['id']}").get_json()["title"] == again["title"]

    for url in (doomed["url"], f"/articles/{doomed['id']}"):
        page = client.get(url)
        assert page.status_code == 410 and page.mimetype == "text/html"  # not a redirect to another story
        assert "Location" not in page.headers
        assert f"article {doomed['id']} was removed" in page.get_data(as_text=True)
    assert_error(client.get(f"/api/articles/{doomed['id']}"), 410)
    assert_error(client.patch(f"/api/articles/{doomed['id']}", json={"title": "Back"}, headers=auth_headers),
                 410)
    assert client.get(again["url"]).status_code == 200
    assert client.get(f"/articles/{again['id'] + 1}").status_code == 404  # never existed: not found
