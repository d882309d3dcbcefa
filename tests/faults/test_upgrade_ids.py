"""Article ids deleted before migration 0004 stay gone after the upgrade: never handed out again, and 410.

The database is built with the schema before 0004 and filled as that release wrote it; the newest
article and one in the middle are deleted as that release deleted (the row goes, the "articles" change
marker advances, nothing else is kept). Then it is upgraded either straight to the newest revision, or
first to 0007 as the previous release did (the original 0004 ran, without the ids' carry-over) and then
to the newest.
"""

from __future__ import annotations

import pytest
from dbfaults import DATABASES, fill_initial_schema, migrate, run_cli, scratch_database
from sqlalchemy import text

import config
from feedsvc import create_app
from feedsvc.core.db import make_engine

ARTICLES = 30
DELETED = (ARTICLES, 12)  # the newest, which SQLite without AUTOINCREMENT gave out again, and one inside
NEW_ARTICLE = {"title": "After the upgrade", "countries": ["kazakhstan"]}


def delete_as_before_0004(url: str, article_ids: tuple[int, ...]) -> None:
    """Delete articles as the releases before 0004 did: the row, its links, one marker step each."""
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for article_id in article_ids:
                connection.execute(text("DELETE FROM articles WHERE id = :id"), {"id": article_id})
                connection.execute(text("UPDATE change_markers SET revision = revision + 1 "
                                        "WHERE scope = 'articles'"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_kind", DATABASES)
@pytest.mark.parametrize("through", [None, "0007"])
def test_ids_deleted_before_0004_are_gone_for_good_after_the_upgrade(db_kind, through, tmp_path) -> None:
    with scratch_database(db_kind, tmp_path) as url:
        migrate(url, "0001")
        fill_initial_schema(url, days=5, articles=ARTICLES)
        migrate(url, "0003")
        delete_as_before_0004(url, DELETED)
        if through:
            migrate(url, through)  # the previous release's upgrade: 0004 as it was first written
        upgraded = run_cli(url, "db", "upgrade")
        assert upgraded.returncode == 0, upgraded.stderr

        app = create_app(config.TestConfig(DATABASE_URL=url))
        try:
            token = app.test_cli_runner().invoke(args=["token", "create", "ids"]).output.strip()
            client = app.test_client()
            headers = {"Authorization": f"Bearer {token}"}
            created = client.post("/api/articles", json=NEW_ARTICLE, headers=headers)
            assert created.status_code == 201, created.get_json()
            assert created.get_json()["id"] > ARTICLES  # above every id ever handed out: none reused
            for deleted in DELETED:
                assert client.get(f"/api/articles/{deleted}").status_code == 410
            assert client.get("/api/articles/11").status_code == 200
            assert client.get(f"/api/articles/{ARTICLES - 1}").status_code == 200
        finally:
            app.extensions["feedsvc.engine"].dispose()
