"""Alembic migrations: they build the schema the models describe, and running them twice is safe."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, func, inspect, select, text
from sqlalchemy.orm import Session

import config
from feedsvc.core.db import MIGRATIONS, make_engine, upgrade_database
from feedsvc.core.models import Base, ChangeMarker, Country, is_modelled


def _alembic_config() -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def _head() -> str:
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def _upgrade_to(connection: Connection, revision: str) -> None:
    """Migrate the database of ``connection`` to ``revision``: an old schema, to fill before the rest."""
    cfg = _alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


def insert_observations(connection: Connection, rows: list[tuple], fetched_at: str) -> None:
    """Rows (source, day, currency, quote, nominal, value) into a schema of revision 0011 or later."""
    connection.execute(text(
        "INSERT INTO rate_observations (source, date, currency, quote, nominal, value, fetched_at) "
        "VALUES (:source, :day, :currency, :quote, :nominal, :value, :fetched_at)"),
        [{**dict(zip(("source", "day", "currency", "quote", "nominal", "value"), row, strict=True)),
          "fetched_at": fetched_at} for row in rows])


def test_migrations_match_the_models(database_urls, db_name) -> None:
    engine = make_engine(database_urls[db_name])
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": Base.metadata,
                                  "include_name": is_modelled}
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


def test_0002_fills_rate_served_from_the_stored_observations(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0001")
            observations = [("nbk", "KZT", "471.20"), ("currency-api", "KZT", "470.1"),
                            ("nbkr", "KGS", "95.0000"), ("currency-api", "KGS", "87.45"),  # nbkr held back
                            ("currency-api", "UZS", "12074.40038822"), ("cbu", "TJS", "10.9")]
            for source, currency, value in observations:
                connection.execute(text(
                    "INSERT INTO rate_observations (source, date, currency, units_per_usd, fetched_at) "
                    "VALUES (:source, '2026-04-01', :currency, :value, '2026-04-02 06:00:00')"),
                    {"source": source, "currency": currency, "value": value})
            connection.execute(text(
                "INSERT INTO rate_anomalies (source, date, currency, value, reason, recorded_at) "
                "VALUES ('nbkr', '2026-04-01', 'KGS', '95.0000', 'disagree', '2026-04-02 06:00:00')"))
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT date, currency, source, units_per_usd FROM rate_served "
                                           "ORDER BY currency")).all()
            priority = connection.execute(text("SELECT sources FROM rate_served_priority")).scalar_one()
        assert [tuple(row) for row in rows] == [
            ("2026-04-01", "KGS", "currency-api", "87.45"), ("2026-04-01", "KZT", "nbk", "471.20"),
            ("2026-04-01", "TJS", "cbu", "10.9"), ("2026-04-01", "UZS", "currency-api", "12074.40038822")]
        assert priority == "nbk,nbkr,nbt,cbu,cbt,peg,currency-api"
    finally:
        engine.dispose()


def test_0006_fills_the_x_usd_columns_of_the_served_rows(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0005")
            for day, value in (("2026-04-01", "470.00"), ("2026-04-02", "471.20"), ("2026-04-20", "480")):
                connection.execute(text("INSERT INTO rate_served (date, currency, source, units_per_usd) "
                                        "VALUES (:day, 'KZT', 'nbk', :value)"), {"day": day, "value": value})
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT usd_rate, usd_change, usd_csv, usd_digits "
                                           "FROM rate_served "
                                           "ORDER BY date")).all()
        assert [tuple(row) for row in rows] == [
            ("0.00212766", None, "2026-04-01,KZT/USD,0.00212766,,nbk\r\n", 6),
            ("0.00212224", "-0.25", "2026-04-02,KZT/USD,0.00212224,-0.25,nbk\r\n", 6),
            ("0.00208333", None, "2026-04-20,KZT/USD,0.00208333,,nbk\r\n", 6)]  # over a week later
    finally:
        engine.dispose()


def test_0007_fills_the_month_sums_of_the_served_rows(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0005")
            for day, value, source in (("2026-03-31", "470.00", "nbk"), ("2026-04-01", "400", "nbk"),
                                       ("2026-04-02", "500", "currency-api"), ("2026-04-30", "250", "nbk")):
                connection.execute(text("INSERT INTO rate_served (date, currency, source, units_per_usd) "
                                        "VALUES (:day, 'KZT', :source, :value)"),
                                   {"day": day, "value": value, "source": source})
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT month, total, count, digits, close, sources "
                                           "FROM rate_served_months ORDER BY month")).all()
        assert [tuple(row) for row in rows] == [
            ("2026-03-01", "0.002127659574468085106382978723404255319149", 1, 6,
             "0.002127659574468085106382978723404255319149", "nbk"),
            ("2026-04-01", "0.0085", 3, 6, "0.004", "nbk;currency-api")]  # 0.0025 + 0.002 + 0.004
    finally:
        engine.dispose()


def test_0003_gives_each_anomaly_the_status_its_reason_meant(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0002")
            for currency, reason in [("KGS", "disagree"), ("UZS", "jump")]:
                connection.execute(text(
                    "INSERT INTO rate_anomalies (source, date, currency, value, reason, recorded_at) "
                    "VALUES ('cbu', '2026-04-01', :currency, '95', :reason, '2026-04-02 06:00:00')"),
                    {"currency": currency, "reason": reason})
        with engine.begin() as connection:
            _upgrade_to(connection, "0003")  # later revisions name the line differently (0011)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT currency, status, decided_by FROM rate_anomalies "
                                           "ORDER BY currency")).all()
        # held back stays held back, a refused jump stays refused and open for review
        assert [tuple(row) for row in rows] == [("KGS", "held", None), ("UZS", "refused", None)]
    finally:
        engine.dispose()


def test_0004_keeps_articles_and_links_and_stops_sqlite_reusing_ids(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")  # foreign keys on, as in production
    links = "SELECT article_id, country_id FROM article_countries ORDER BY article_id"
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0003")
            connection.execute(text("INSERT INTO countries (id, slug, code, name, currency, position) "
                                    "VALUES (1, 'kazakhstan', 'kz', 'Kazakhstan', 'KZT', 0)"))
            connection.execute(text("INSERT INTO tags (id, slug) VALUES (1, 'water')"))
            for number in (1, 2, 3):
                connection.execute(text(
                    "INSERT INTO articles (id, uuid, title, summary, content_html, language, published_at, "
                    "updated_at) VALUES (:id, :uuid, :title, '', '', 'en', '2025-03-01 08:00:00.000000', "
                    "'2025-03-01 08:00:00.000000')"),
                    {"id": number, "uuid": f"00000000-0000-4000-8000-00000000000{number}",
                     "title": f"Story {number}"})
                connection.execute(text("INSERT INTO article_countries VALUES (:id, 1)"), {"id": number})
            connection.execute(text("INSERT INTO article_tags VALUES (3, 1)"))
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.begin() as connection:
            assert "AUTOINCREMENT" in connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'articles'")).scalar_one()
            assert connection.execute(text("SELECT title FROM articles ORDER BY id")).scalars().all() == [
                "Story 1", "Story 2", "Story 3"]
            assert [tuple(row) for row in connection.execute(text(links))] == [(1, 1), (2, 1), (3, 1)]
            assert [tuple(row) for row in connection.execute(text("SELECT * FROM article_tags"))] == [(3, 1)]
            connection.execute(text("DELETE FROM articles WHERE id = 3"))
            new_id = connection.execute(text(
                "INSERT INTO articles (uuid, title, summary, content_html, language, published_at, "
                "updated_at) VALUES ('00000000-0000-4000-8000-000000000009', 'New', '', '', 'en', "
                "'2025-03-02 08:00:00.000000', '2025-03-02 08:00:00.000000') RETURNING id")).scalar_one()
        assert new_id == 4  # not the deleted 3
    finally:
        engine.dispose()


def test_0010_keeps_articles_adds_image_columns_and_upstream_tables(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0007")
            connection.execute(text(
                "INSERT INTO articles (uuid, title, summary, content_html, language, published_at, "
                "updated_at, image_url) VALUES ('00000000-0000-4000-8000-000000000001', 'Story', '', '', "
                "'en', '2025-03-01 08:00:00.000000', '2025-03-01 08:00:00.000000', 'https://example.org/a.jpg')"))
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.begin() as connection:
            row = connection.execute(text(
                "SELECT id, title, image_url, image_width, image_height, image_alt FROM articles")).one()
            assert tuple(row) == (1, "Story", "https://example.org/a.jpg", None, None, None)
            assert "AUTOINCREMENT" in connection.execute(  # no table rebuild lost it
                text("SELECT sql FROM sqlite_master WHERE name = 'articles'")).scalar_one()
            tables = set(inspect(connection).get_table_names())
            assert {"upstreams", "upstream_runs", "upstream_items"} <= tables
    finally:
        engine.dispose()


def test_0010_leaves_image_columns_another_revision_added(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0007")
            connection.execute(text("ALTER TABLE articles ADD COLUMN image_width INTEGER"))
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.connect() as connection:
            names = [column["name"] for column in inspect(connection).get_columns("articles")]
        assert names.count("image_width") == 1 and "image_alt" in names
    finally:
        engine.dispose()


def test_0012_keeps_every_line_and_names_no_payload_for_them(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0011")
            connection.execute(text(
                "INSERT INTO rate_observations (id, source, date, currency, quote, nominal, value, "
                "fetched_at) VALUES (7, 'nbk', '2026-04-01', 'UZS', 'KZT', 100, '3.93', "
                "'2026-04-02 06:00:00')"))
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, currency, quote, nominal, value, fetch_id "
                                           "FROM rate_observations")).all()
            kept = connection.execute(text("SELECT count(*) FROM rate_fetches")).scalar_one()
        assert [tuple(row) for row in rows] == [(7, "UZS", "KZT", 100, "3.93", None)] and kept == 0
    finally:
        engine.dispose()


def test_0010_marks_the_days_kept_as_a_usd_line_partial(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0009")
            for source, status in (("nbk", "ok"), ("nbk", "none"), ("nbkr", "ok"), ("currency-api", "ok"),
                                   ("peg", "ok")):
                connection.execute(text(
                    "INSERT INTO rate_source_days (source, date, status, checked_at) VALUES "
                    "(:source, :day, :status, '2026-04-02 06:00:00')"),
                    {"source": source, "status": status,
                     "day": "2026-04-01" if status == "ok" else "2026-04-02"})
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT source, status FROM rate_source_days "
                                           "ORDER BY source, date")).all()
        assert [tuple(row) for row in rows] == [("currency-api", "partial"), ("nbk", "partial"),
                                                ("nbk", "none"), ("nbkr", "ok"), ("peg", "ok")]
    finally:
        engine.dispose()


def test_0014_spans_every_kind_of_stored_line(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    lines = [("nbk", "2026-03-31", "UZS", "KZT", 100, "3.90"),
             ("nbk", "2026-04-01", "UZS", "KZT", 100, "3.93"),
             ("nbk", "2026-04-02", "UZS", "KZT", 1000, "39.1"),  # the bank changed its nominal
             ("nbk", "2026-04-01", "USD", "KZT", 1, "470.1"),
             ("currency-api", "2026-04-01", "USD", "KZT", 1, "470.2")]
    try:
        with engine.begin() as connection:
            _upgrade_to(connection, "0013")
            insert_observations(connection, lines, "2026-04-02 06:00:00")
        upgrade_database(engine, config.TestConfig().COUNTRIES)
        with engine.connect() as connection:
            spans = connection.execute(text("SELECT source, currency, quote, nominal, first_date, last_date, "
                                            "days FROM rate_line_spans ORDER BY 1, 2, 3, 4")).all()
            kept = connection.execute(text("SELECT count(*) FROM rate_observations")).scalar_one()
        assert [tuple(map(str, row)) for row in spans] == [
            ("currency-api", "USD", "KZT", "1", "2026-04-01", "2026-04-01", "1"),
            ("nbk", "USD", "KZT", "1", "2026-04-01", "2026-04-01", "1"),
            ("nbk", "UZS", "KZT", "100", "2026-03-31", "2026-04-01", "2"),
            ("nbk", "UZS", "KZT", "1000", "2026-04-02", "2026-04-02", "1"),
        ] and kept == len(lines)
    finally:
        engine.dispose()
