"""Alembic migrations: they build the schema the models describe, and running them twice is safe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

import config
from feedsvc.db import MIGRATIONS, make_engine, upgrade_database
from feedsvc.models import Base, ChangeMarker, Country


def _head() -> str:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def test_migrations_match_the_models(database_urls, db_name) -> None:
    engine = make_engine(database_urls[db_name])
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": Base.metadata}
            )
            assert context.get_current_revision() == _head()
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_upgrade_twice_on_a_fresh_sqlite_file(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    countries = config.TestConfig().COUNTRIES
    try:
        upgrade_database(engine, countries)
        with Session(engine) as session, session.begin():
            session.execute(text("UPDATE change_markers SET revision = 7 WHERE scope = 'articles'"))
        upgrade_database(engine, countries)
        assert set(inspect(engine).get_table_names()) >= {t.name for t in Base.metadata.sorted_tables}
        with Session(engine) as session:
            assert session.scalar(select(func.count()).select_from(Country)) == 5
            assert session.get(ChangeMarker, "articles").revision == 7  # seeding keeps existing markers
            assert session.get(ChangeMarker, "articles:kazakhstan") is not None
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()


def test_upgrade_again_on_the_test_database_is_safe(database_urls, db_name) -> None:
    engine = make_engine(database_urls[db_name])
    try:
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with Session(engine) as session:
            first = session.scalars(select(Country).order_by(Country.position)).first()
            assert first.slug == "kazakhstan"
    finally:
        engine.dispose()
