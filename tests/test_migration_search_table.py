"""Migration 0015 on databases filled by revision 0014: PostgreSQL's search vectors in a table of theirs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, text
from test_migration_counts_search import DATABASES, empty_engine

from feedsvc.core.db import MIGRATIONS

ARTICLES = [  # id, title, summary, body_text, language, published_at
    (1, "Metro stations open", "Three new stations.", "A depot & trams.", "en", "2025-03-01 08:00:00"),
    (2, "Новые станции метро", "Кольцевая линия.", "Депо.", "ru", "2025-03-20 08:00:00"),
    (3, "Grid substations", "", "Report on the grid.", "kk", "2030-04-02 08:00:00"),
]
INSERT = ("INSERT INTO articles (id, uuid, title, summary, content_html, body_text, language, published_at, "
          "updated_at) VALUES ")
WORDS = {"station": [1], "станции": [2], "substations": [3], "grid": [3], "depot": [1], "href": []}


@pytest.fixture(params=DATABASES)
def old_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An empty database of its own (SQLite file, or a PostgreSQL database beside the test one)."""
    engine = empty_engine(request.param, tmp_path, "m0015")
    yield engine
    engine.dispose()


def upgrade_to(connection: Connection, revision: str) -> None:
    """Migrate the database of ``connection`` to ``revision``."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def fill_0014(connection: Connection) -> None:
    """Store three articles as revision 0014's schema holds them."""
    zone = "+00" if connection.dialect.name == "postgresql" else ""
    for article_id, title, summary, body, language, published in ARTICLES:
        connection.execute(text(INSERT + "(:id, :uuid, :title, :summary, :body, :body, :language, :at, :at)"),
            {"id": article_id, "uuid": f"00000000-0000-4000-8000-00000000000{article_id}", "title": title,
             "summary": summary, "body": body, "language": language, "at": published + zone})


def found(connection: Connection, word: str) -> list[int]:
    """Ids of the articles the database's index finds for one word, in either configuration."""
    if connection.dialect.name == "sqlite":
        sql = "SELECT rowid FROM article_search WHERE article_search MATCH :w ORDER BY rowid"
    else:
        sql = ("SELECT id FROM article_search WHERE search_vector @@ (plainto_tsquery('english', :w) || "
               "plainto_tsquery('russian', :w) || plainto_tsquery('simple', :w)) ORDER BY id")
    return list(connection.scalars(text(sql), {"w": word}))


def test_0015_moves_every_vector_and_keeps_them_in_step(old_engine) -> None:
    with old_engine.begin() as connection:
        upgrade_to(connection, "0014")
        fill_0014(connection)
        if connection.dialect.name == "sqlite":
            before = {word: found(connection, word) for word in WORDS}
        else:
            before = {word: list(connection.scalars(text(
                "SELECT id FROM articles WHERE search_vector @@ (plainto_tsquery('english', :w) || "
                "plainto_tsquery('russian', :w) || plainto_tsquery('simple', :w)) ORDER BY id"), {"w": word}))
                for word in WORDS}
            vectors = connection.execute(text("SELECT id, published_at, search_vector::text FROM articles "
                                              "ORDER BY id")).all()
        assert before == WORDS
    with old_engine.begin() as connection:
        upgrade_to(connection, "0015")
    with old_engine.begin() as connection:
        assert {word: found(connection, word) for word in WORDS} == WORDS  # nothing lost
        if connection.dialect.name == "postgresql":
            stored = connection.execute(text("SELECT id, published_at, search_vector::text "
                                             "FROM article_search ORDER BY id")).all()
            assert stored == vectors and "'station':2A,6B" in stored[0][2]  # weights kept: title A, summary B
            columns = connection.scalars(text("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name = 'articles'")).all()
            assert "search_vector" not in columns
            assert found(connection, "станция") == [2]  # stemmed by the article's language, as before
        # Later writes, in their own transaction: an insert of many rows, an edit, a delete.
        connection.execute(text(
            INSERT + "(4, '00000000-0000-4000-8000-000000000004', 'Solar park', '', '', "
            "'Panels.', 'en', '2025-05-01 00:00:00', '2025-05-01 00:00:00'), (5, "
            "'00000000-0000-4000-8000-000000000005', 'Wind farm', '', '', 'Turbines.', 'en', "
            "'2025-05-02 00:00:00', '2025-05-02 00:00:00')"))
        assert found(connection, "panel") == [4] and found(connection, "turbine") == [5]
        connection.execute(text("UPDATE articles SET title = 'Depot', summary = '', body_text = 'Trams.' "
                                "WHERE id = 1"))
        assert found(connection, "station") == [] and found(connection, "tram") == [1]
        connection.execute(text("DELETE FROM articles WHERE id = 3"))
        assert found(connection, "grid") == []
        if connection.dialect.name == "postgresql":
            connection.execute(text("UPDATE articles SET published_at = '2031-01-01 00:00:00+00' "
                                    "WHERE id = 4"))
            moved = connection.scalar(text("SELECT published_at FROM article_search WHERE id = 4"))
            assert moved.year == 2031


def test_0015_downgrade_brings_the_generated_column_back(old_engine) -> None:
    with old_engine.begin() as connection:
        upgrade_to(connection, "0015")
        fill_0014(connection)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with old_engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0014")
    with old_engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            ids = connection.scalars(text("SELECT id FROM articles WHERE search_vector @@ "
                                          "plainto_tsquery('english', 'station')")).all()
            assert ids == [1]
