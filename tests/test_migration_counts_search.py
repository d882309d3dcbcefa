"""Migration 0008 on databases filled by revision 0007: body text, counters and the search index."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from pg_databases import beside
from sqlalchemy import Engine, text

from feedsvc.core.db import MIGRATIONS, make_engine

POSTGRES_URL = os.environ.get("FEEDSVC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
DATABASES = [name.strip() for name in os.environ.get("FEEDSVC_TEST_DATABASES", "sqlite,postgresql").split(",")
             if name.strip()]
ARTICLES = [  # id, title, content_html, published_at, countries, tags
    (1, "Metro stations open", "<p>Three <b>new</b> stations &amp; a depot.</p>", "2025-03-01 08:00:00",
     [1], [1]),
    (2, "Grid substations", '<p><a href="https://example.org/x">Report</a> on the grid.</p>',
     "2025-03-20 08:00:00", [1, 2], [1, 2]),
    (3, "Harvest", "<p>Grain.</p>", "2025-04-02 08:00:00", [2], []),
]


@pytest.fixture(params=DATABASES)
def old_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An empty database of its own (SQLite file, or a PostgreSQL database beside the test one)."""
    engine = empty_engine(request.param, tmp_path, "m0008")
    yield engine
    engine.dispose()


def empty_engine(kind: str, tmp_path, tag: str) -> Engine:
    """An engine on an empty database: a SQLite file, or PostgreSQL's ``<test>_<tag>_<worker>``."""
    if kind == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    engine = make_engine(beside(POSTGRES_URL, f"{tag}_{worker}"))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    return engine


def upgrade_to(engine: Engine, revision: str) -> None:
    """Migrate ``engine``'s database to ``revision``."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def fill_0007(engine: Engine) -> None:
    """Migrate to 0007 and store three articles with links, as that schema held them."""
    upgrade_to(engine, "0007")
    with engine.begin() as connection:
        for cid, slug, code in ((1, "kazakhstan", "kz"), (2, "kyrgyzstan", "kg")):
            connection.execute(text("INSERT INTO countries (id, slug, code, name, currency, position) "
                                    "VALUES (:id, :slug, :code, :slug, 'KZT', :id)"),
                               {"id": cid, "slug": slug, "code": code})
        connection.execute(text("INSERT INTO tags (id, slug) VALUES (1, 'transport'), (2, 'energy')"))
        for article_id, title, body, published, countries, tags in ARTICLES:
            connection.execute(text(
                "INSERT INTO articles (id, uuid, title, summary, content_html, language, published_at, "
                "updated_at) VALUES (:id, :uuid, :title, '', :body, 'en', :at, :at)"),
                {"id": article_id, "uuid": f"00000000-0000-4000-8000-00000000000{article_id}", "title": title,
                 "body": body, "at": published + ("+00" if engine.dialect.name == "postgresql" else "")})
            for cid in countries:
                connection.execute(text("INSERT INTO article_countries VALUES (:a, :c)"),
                                   {"a": article_id, "c": cid})
            for tid in tags:
                connection.execute(text("INSERT INTO article_tags VALUES (:a, :t)"),
                                   {"a": article_id, "t": tid})


def search(connection, word: str) -> list[int]:
    """Ids of the articles the database's index finds for one word."""
    if connection.dialect.name == "sqlite":
        sql = "SELECT rowid FROM article_search WHERE article_search MATCH :w ORDER BY rowid"
    else:
        sql = "SELECT id FROM articles WHERE search_vector @@ plainto_tsquery('english', :w) ORDER BY id"
    return list(connection.scalars(text(sql), {"w": word}))


def test_0008_fills_body_text_counters_and_the_index(old_engine) -> None:
    fill_0007(old_engine)
    upgrade_to(old_engine, "0008")  # PostgreSQL's vectors move to a table of their own in 0015
    with old_engine.begin() as connection:
        bodies = connection.execute(text("SELECT body_text FROM articles ORDER BY id")).scalars().all()
        assert bodies == ["Three new stations & a depot.", "Report on the grid.", "Grain."]
        counts = connection.execute(text("SELECT country_id, tag_id, month, count FROM article_counts "
                                         "ORDER BY 1, 2, 3")).all()
        assert [tuple(row) for row in counts] == [
            (0, 0, 202503, 2), (0, 0, 202504, 1), (0, 1, 202503, 2), (0, 2, 202503, 1),
            (1, 0, 202503, 2), (1, 1, 202503, 2), (1, 2, 202503, 1),
            (2, 0, 202503, 1), (2, 0, 202504, 1), (2, 1, 202503, 1), (2, 2, 202503, 1)]
        assert search(connection, "station") == [1]  # stemmed; "substations" is another word
        assert search(connection, "href") == [] and search(connection, "grid") == [2]
        # The index follows later writes in their own transaction.
        connection.execute(text("UPDATE articles SET title = 'Depot', body_text = 'Trams.' WHERE id = 1"))
        assert search(connection, "station") == [] and search(connection, "tram") == [1]
        connection.execute(text("DELETE FROM article_tags WHERE article_id = 2"))
        connection.execute(text("DELETE FROM article_countries WHERE article_id = 2"))
        connection.execute(text("DELETE FROM articles WHERE id = 2"))
        assert search(connection, "grid") == []
