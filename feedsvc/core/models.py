"""SQLAlchemy 2.0 typed models. Models hold data only: no serialisation, no URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

MAX_ID = 2**31 - 1  # the largest id an INTEGER primary key holds; asking for more would overflow


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal: NUMERIC on PostgreSQL, text on SQLite (whose NUMERIC is a float)."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(48))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> object:
        if value is None or dialect.name != "sqlite":
            return value
        return format(value, "f")

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, Decimal: ExactDecimal}


article_countries = Table(
    "article_countries",
    Base.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("country_id", ForeignKey("countries.id", ondelete="CASCADE"), primary_key=True),
)

article_tags = Table(
    "article_tags",
    Base.metadata,
    Column("article_id", ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Country(Base):
    """A tracked country (seeded from configuration)."""

    __tablename__ = "countries"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(2), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    position: Mapped[int] = mapped_column(Integer, default=0)


class Tag(Base):
    """A topic label; articles link to many."""

    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)


class Article(Base):
    """A news article; ``uuid`` is assigned once and never changes, nor is its ``id`` ever reused.

    ``published_at`` later than now means scheduled: stored, but shown nowhere public until then.
    """

    __tablename__ = "articles"
    # AUTOINCREMENT: SQLite would otherwise hand a deleted highest id to the next article (PostgreSQL's
    # sequence never does); the (published_at, id) index serves listings and the scheduled/due lookups.
    __table_args__ = (Index("ix_articles_published_id", "published_at", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    content_html: Mapped[str] = mapped_column(Text, default="")
    source_url: Mapped[str | None] = mapped_column(String(2048))
    author: Mapped[str | None] = mapped_column(String(200))
    image_url: Mapped[str | None] = mapped_column(String(2048))  # absolute, or a path on this site
    # The image's own size and description, as the editor gave them: never guessed from the file.
    image_width: Mapped[int | None] = mapped_column(Integer)
    image_height: Mapped[int | None] = mapped_column(Integer)
    image_alt: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(35), default="en")
    published_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)

    countries: Mapped[list[Country]] = relationship(
        secondary=article_countries, order_by="Country.position", lazy="selectin"
    )
    tags: Mapped[list[Tag]] = relationship(
        secondary=article_tags, order_by="Tag.slug", lazy="selectin"
    )


class DeletedArticle(Base):
    """The id of a deleted article (a tombstone), so its URLs answer 410 Gone rather than 404."""

    __tablename__ = "deleted_articles"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    deleted_at: Mapped[datetime]


class ApiToken(Base):
    """A named API token; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]


class ChangeMarker(Base):
    """Revision and time of the last change in one scope (``articles``, ``articles:<slug>``, ``rates``).

    Every article write bumps ``articles`` and the scope of each country it was or is in;
    deletions included. Feeds derive ETag and Last-Modified from these rows alone.
    """

    __tablename__ = "change_markers"

    scope: Mapped[str] = mapped_column(String(100), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime]


class RateObservation(Base):
    """Units of ``currency`` per 1 USD on ``date``, as published by ``source``."""

    __tablename__ = "rate_observations"
    __table_args__ = (
        UniqueConstraint("source", "date", "currency"),
        Index("ix_rate_observations_currency_date", "currency", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    units_per_usd: Mapped[Decimal]
    fetched_at: Mapped[datetime]


class RateServed(Base):
    """The served value of ``currency`` on ``date``: the first source by priority not held back.

    Recomputed in the same transaction as every write that can change it (feedsvc/rates/served/table.py);
    the primary key (date, currency) makes a series one ordered index range scan. ``usd_rate``,
    ``usd_change`` and ``usd_csv`` are the X/USD rate, change and long CSV line exactly as the formats
    show them; ``usd_exact`` and ``usd_digits`` the unrounded quotient and its digits, which periods
    sum (feedsvc/rates/served/lines.py).
    """

    __tablename__ = "rate_served"

    date: Mapped[date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    units_per_usd: Mapped[Decimal]
    usd_rate: Mapped[str | None] = mapped_column(Text)
    usd_change: Mapped[str | None] = mapped_column(Text)
    usd_csv: Mapped[str | None] = mapped_column(Text)
    usd_exact: Mapped[str | None] = mapped_column(Text)
    usd_digits: Mapped[int | None]


class RateServedMonth(Base):
    """One month of a currency's X/USD quotients in ``rate_served``, summed as a period sums them.

    ``total`` is the exact sum of the month's ``usd_exact`` in date order (``Period.add``'s context),
    ``close`` the last day's, ``digits`` the most digits, ``sources`` the sources in first-seen order
    joined by ";"; refreshed with ``rate_served`` (feedsvc/rates/served/months.py) so group=month reads
    whole months here, about 12 rows a year per currency.
    """

    __tablename__ = "rate_served_months"

    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    total: Mapped[str] = mapped_column(Text)
    count: Mapped[int]
    digits: Mapped[int]
    close: Mapped[str] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text)


class RateServedPriority(Base):
    """What ``rate_served`` was computed with: ``id`` 1 the source priority, comma-separated; ``id`` 2 the
    format version its lines and month sums were rendered with (feedsvc/rates/exact.py)."""

    __tablename__ = "rate_served_priority"

    id: Mapped[int] = mapped_column(primary_key=True)
    sources: Mapped[str] = mapped_column(Text)


class RateSourceDay(Base):
    """What a source answered for one day (``ok`` or ``none``); lets jobs skip and resume."""

    __tablename__ = "rate_source_days"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    checked_at: Mapped[datetime]


class RateRun(Base):
    """One run of a rate job for one source: when, how many rows, and the error if any."""

    __tablename__ = "rate_runs"
    __table_args__ = (Index("ix_rate_runs_source_started", "source", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    job: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    scheduled_at: Mapped[datetime | None]  # the scheduler's trigger this run answers; None: by hand


class RateAnomaly(Base):
    """A value a guard refused, held back or flagged, and what became of it (feedsvc/rates/ingest/guards.py).

    ``reason``: ``jump`` (day-on-day move over the limit), ``disagree`` (differs from the reference
    source), ``gap`` (accepted without a reference within the window), ``manual`` (refused by hand).
    ``status``: ``refused`` and ``held`` keep exactly ``value`` from being served; ``confirmed``,
    ``accepted`` and ``released`` do not. ``decided_by``/``decided_at`` name a decision taken by hand.
    """

    __tablename__ = "rate_anomalies"
    __table_args__ = (UniqueConstraint("source", "date", "currency", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    value: Mapped[Decimal]
    reason: Mapped[str] = mapped_column(String(16))
    reference_source: Mapped[str | None] = mapped_column(String(32))
    reference_value: Mapped[Decimal | None]
    reference_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[datetime | None]


class JobLease(Base):
    """A lease that lets exactly one scheduler process run a named job at a time."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class JobTrigger(Base):
    """A scheduled fire time of a job, claimed by the one process that runs it (never run twice)."""

    __tablename__ = "job_triggers"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    scheduled_at: Mapped[datetime] = mapped_column(primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime]
