"""article counters per (country, tag, month), articles.body_text, and each database's full-text index

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-04 10:00:00

SQLite: an FTS5 table with external content (the articles' title, summary and body_text), kept in step
by triggers on articles. A later migration that rebuilds articles on SQLite (batch mode) drops those
triggers with the old table and must create them again. PostgreSQL: a generated tsvector column with a
GIN index. Both are filled here from the stored articles.
"""

import html
import re

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 1000
# The app's html_to_text as it was written with this revision (feedsvc/articles/clean.py): frozen here.
_TAG = re.compile(r"<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_SPACE = re.compile(r"\s+")
# What the app's remove_illegal takes out that an entity could bring back (controls, noncharacters).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")

_NEW = "INSERT INTO article_search(rowid, title, summary, body_text) " \
       "VALUES (new.id, new.title, new.summary, new.body_text);"
_OLD = "INSERT INTO article_search(article_search, rowid, title, summary, body_text) " \
       "VALUES ('delete', old.id, old.title, old.summary, old.body_text);"
SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE article_search USING fts5(title, summary, body_text, content='articles', "
    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER article_search_insert AFTER INSERT ON articles BEGIN {_NEW} END",
    f"CREATE TRIGGER article_search_delete AFTER DELETE ON articles BEGIN {_OLD} END",
    "CREATE TRIGGER article_search_update AFTER UPDATE OF title, summary, body_text ON articles "
    f"BEGIN {_OLD} {_NEW} END",
    "INSERT INTO article_search(article_search) VALUES ('rebuild')",
]
# Russian and English have stemmers; other languages are indexed word for word ('simple').
PG_CONFIG = ("CASE WHEN lower(language) = 'ru' OR lower(language) LIKE 'ru-%' THEN 'russian'::regconfig "
             "WHEN lower(language) = 'en' OR lower(language) LIKE 'en-%' THEN 'english'::regconfig "
             "ELSE 'simple'::regconfig END")
PG_INDEX = [
    "ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    f"setweight(to_tsvector({PG_CONFIG}, title), 'A') || "
    f"setweight(to_tsvector({PG_CONFIG}, summary), 'B') || "
    f"setweight(to_tsvector({PG_CONFIG}, body_text), 'C')) STORED",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
]
# The month of published_at in UTC as year * 100 + month.
MONTH = {"sqlite": "CAST(strftime('%Y%m', a.published_at) AS INTEGER)",
         "postgresql": "CAST(to_char(a.published_at AT TIME ZONE 'UTC', 'YYYYMM') AS INTEGER)"}
COUNT_FILLS = [  # (country, tag) of each kind of listing, and the joins that give it
    ("0", "0", ""),
    ("ac.country_id", "0", "JOIN article_countries ac ON ac.article_id = a.id"),
    ("0", "at.tag_id", "JOIN article_tags at ON at.article_id = a.id"),
    ("ac.country_id", "at.tag_id",
     "JOIN article_countries ac ON ac.article_id = a.id JOIN article_tags at ON at.article_id = a.id"),
]


def html_to_text(value: str) -> str:
    """The words of sanitised HTML: tags become spaces, entities are decoded, spaces collapsed."""
    return _SPACE.sub(" ", _ILLEGAL.sub("", html.unescape(_TAG.sub(" ", value)))).strip()


def upgrade() -> None:
    """Add body_text and article_counts, fill both, then build the database's full-text index."""
    op.add_column("articles", sa.Column("body_text", sa.Text(), nullable=False, server_default=""))
    _fill_body_text()
    op.create_table(
        "article_counts",
        sa.Column("country_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tag_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("country_id", "tag_id", "month", name=op.f("pk_article_counts")),
    )
    _fill_counts()
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_INDEX if dialect == "sqlite" else PG_INDEX:
        op.execute(statement)


def _fill_body_text() -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, content_html FROM articles WHERE id > :last ORDER BY id "
                                    "LIMIT :batch"), {"last": last, "batch": BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text("UPDATE articles SET body_text = :text WHERE id = :id"),
                     [{"id": row.id, "text": html_to_text(row.content_html or "")} for row in rows])
        last = rows[-1].id


def _fill_counts() -> None:
    month = MONTH[op.get_bind().dialect.name]
    for country, tag, joins in COUNT_FILLS:
        # Not the constants: "GROUP BY 0" would name a position.
        groups = ", ".join(term for term in (country, tag, month) if term != "0")
        # Only the constants above go into the statement.
        op.execute(f"INSERT INTO article_counts (country_id, tag_id, month, count) "  # noqa: S608
                   f"SELECT {country}, {tag}, {month}, count(*) FROM articles a {joins} GROUP BY {groups}")


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER article_search_{trigger}")
        op.execute("DROP TABLE article_search")
    else:
        op.execute("DROP INDEX ix_articles_search_vector")
        op.execute("ALTER TABLE articles DROP COLUMN search_vector")
    op.drop_table("article_counts")
    op.execute("ALTER TABLE articles DROP COLUMN body_text")  # SQLite has had DROP COLUMN since 3.35
