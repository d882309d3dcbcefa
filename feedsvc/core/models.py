"""SQLAlchemy 2.0 typed models. Models hold data only: no serialisation, no URLs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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
    # The words of content_html without its markup: what full-text search indexes and quotes in snippets.
    # Deferred: listings never show it.
    body_text: Mapped[str] = mapped_column(Text, default="", deferred=True)
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


class ArticleCount(Base):
    """How many stored articles (scheduled ones included) of one month a listing holds.

    ``country_id`` and ``tag_id`` 0 mean "any": (0, 0) is every article, (c, 0) a country's, (0, t) a
    tag's, (c, t) both. ``month`` is ``published_at``'s UTC year * 100 + month. Kept in the transaction
    of every write that changes them (feedsvc/articles/counts.py); totals and deep pages read them.
    """

    __tablename__ = "article_counts"

    country_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tag_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    month: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


# The full-text index lives outside the models: SQLite's FTS5 table (and its shadow tables) and
# PostgreSQL's generated tsvector column differ by database, so migrations alone create them.
SEARCH_INDEX_NAMES = ("article_search", "search_vector", "ix_articles_search_vector")


def is_modelled(name: str | None, type_: str, _parents: object = None) -> bool:
    """False for the search index's tables, columns and indexes (Alembic's include_name hook)."""
    return name is None or not name.startswith(SEARCH_INDEX_NAMES)


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
    """One line of ``source``'s table of ``date``: ``nominal`` units of ``currency`` = ``value`` ``quote``.

    Exactly as published, nothing converted: a bank's lines in its own currency (NBK: 100 UZS = 3.94 KZT),
    currency-api's as 1 USD in each currency. ``date`` is the source's own date of the table;
    ``valid_days`` how long the bank says it holds (NBKR's weekly table: 7), None for a daily table.
    """

    __tablename__ = "rate_observations"
    __table_args__ = (
        UniqueConstraint("source", "date", "currency", "quote"),
        Index("ix_rate_observations_currency_quote_date", "currency", "quote", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    nominal: Mapped[int] = mapped_column(Integer, default=1)
    value: Mapped[Decimal]
    valid_days: Mapped[int | None]
    fetched_at: Mapped[datetime]
    # The fetch whose payload the value was stored from (None: stored before payloads were kept).
    fetch_id: Mapped[int | None] = mapped_column(ForeignKey("rate_fetches.id"), index=True)


class RatePayload(Base):
    """One distinct body a source sent: zlib-compressed, named by the SHA-256 of the bytes as sent."""

    __tablename__ = "rate_payloads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]  # of the bytes as sent
    body: Mapped[bytes] = mapped_column(LargeBinary)


class RateFetch(Base):
    """One answer of a source: the day asked (a range: ``day`` to ``last_day``), the URL, the HTTP status,
    the media type and the time it came, and its body by digest. A body fetched again for the same day
    adds no row."""

    __tablename__ = "rate_fetches"
    __table_args__ = (UniqueConstraint("source", "day", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date | None] = mapped_column(Date)
    url: Mapped[str] = mapped_column(String(2048))
    status: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(200))
    fetched_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(ForeignKey("rate_payloads.sha256"))


class RateServed(Base):
    """The served value of ``currency`` per 1 USD on ``date``: the USD line (``quote`` = ``currency``) of
    the first source by priority not held back.

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


class RateLine(Base):
    """One day's row of a pair's series as /rates.csv shows it, materialised on write.

    ``scope`` '' is the best path by priority (FEEDSVC_RATES_SOURCES), a source name that source's own
    table (``source=NAME``). ``csv`` is the whole long CSV line; ``rate`` the exact quotient and
    ``digits`` the digits shown; ``repeat`` names what was published (the same on consecutive days: a
    table repeated); ``change``, ``prev_date`` and ``observed`` (the date of the last new observation,
    this row's own unless repeated) are what the next row's change and repeat rule need
    (feedsvc/rates/served/pair_lines.py).
    """

    __tablename__ = "rate_lines"
    __table_args__ = {"sqlite_with_rowid": False}  # the rows are the primary key's B-tree: no second copy

    # A pair's series is one range of the primary key; a whole table is one range per pair, sorted by
    # date (faster on SQLite than a (scope, date) order whose pairs are looked up: bench/README.md).
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    csv: Mapped[str] = mapped_column(Text)
    rate: Mapped[str] = mapped_column(Text)
    digits: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    repeat: Mapped[str] = mapped_column(Text)
    change: Mapped[str | None] = mapped_column(Text)
    prev_date: Mapped[date | None] = mapped_column(Date)
    observed: Mapped[date] = mapped_column(Date)


class RateLinePair(Base):
    """A pair whose series ``rate_lines`` holds in ``scope``: what the read path asks before using them."""

    __tablename__ = "rate_line_pairs"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)


class RateLineDay(Base):
    """A day whose stored lines in ``scope`` wait for a refresh since ``source`` wrote it: marked in the
    write's transaction, refreshed by the job right after (feedsvc/rates/served/pair_lines.py). Reads of
    the scope take the general path over such a day and the REPEAT_DAYS after it."""

    __tablename__ = "rate_line_days"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    source: Mapped[str] = mapped_column(String(32), primary_key=True)


class RateLineSpan(Base):
    """One kind of stored line, ``nominal`` ``currency`` = a value in ``quote`` in ``source``'s table: its
    first and last date and how many dates carry it, kept by every upsert (feedsvc/rates/ingest/spans.py)
    so listings of what is stored never group every line."""

    __tablename__ = "rate_line_spans"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    nominal: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_date: Mapped[date] = mapped_column(Date)
    last_date: Mapped[date] = mapped_column(Date)
    days: Mapped[int]


class RateServedPriority(Base):
    """What ``rate_served`` was computed with: ``id`` 1 the source priority, comma-separated; ``id`` 2 the
    format version its lines and month sums were rendered with (feedsvc/rates/exact.py); ``id`` 3 the
    version, format and priority ``rate_lines`` were computed with (feedsvc/rates/served/pair_lines.py)."""

    __tablename__ = "rate_served_priority"

    id: Mapped[int] = mapped_column(primary_key=True)
    sources: Mapped[str] = mapped_column(Text)


class RateSourceDay(Base):
    """What a source answered for one day (``ok``, ``none``, or ``partial``: kept as its USD line alone
    before whole tables were stored); lets jobs skip and resume. ``source`` may name a backfill track of
    one currency (``nbkr:EUR``)."""

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

    It names one line of a table (``currency`` in ``quote``) and its value as published with its
    ``nominal``; ``reference_value`` is per unit. ``reason``: ``jump`` (day-on-day move over the limit),
    ``disagree`` (differs from the reference source), ``gap`` (accepted without a reference within the
    window), ``manual`` (refused by hand), ``malformed`` (the line could not be read: no value).
    ``status``: ``refused`` and ``held`` keep exactly ``value`` from being served; ``confirmed``,
    ``accepted`` and ``released`` do not. ``decided_by``/``decided_at`` name a decision taken by hand.
    """

    __tablename__ = "rate_anomalies"
    __table_args__ = (UniqueConstraint("source", "date", "currency", "quote", "reason"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    nominal: Mapped[int | None] = mapped_column(default=1)  # None with ``value`` for a malformed line
    value: Mapped[Decimal | None]
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


class Upstream(Base):
    """A WordPress site or a feed whose posts are kept in the article store (``feedsvc upstreams add``).

    ``rules`` maps categories or tags to countries (``[["category", "kazakhstan", "kazakhstan"]]``);
    ``countries`` (comma-separated slugs) is the default when no rule matches. The rest is what the syncs
    keep between runs: WordPress's ``modified`` watermark and whether ``modified_after`` works, a feed's
    validators for conditional GET, the last sweep for posts gone upstream, and a WebSub subscription.
    """

    __tablename__ = "upstreams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(16))
    countries: Mapped[str] = mapped_column(String(400), default="")
    rules: Mapped[list] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(35), default="en")
    every_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    watermark: Mapped[str | None] = mapped_column(String(32))
    modified_after: Mapped[bool | None] = mapped_column(Boolean)
    etag: Mapped[str | None] = mapped_column(String(512))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    swept_at: Mapped[datetime | None]
    hub: Mapped[str | None] = mapped_column(String(2048))
    topic: Mapped[str | None] = mapped_column(String(2048))
    websub_secret: Mapped[str | None] = mapped_column(String(64))
    websub_state: Mapped[str | None] = mapped_column(String(16))  # pending, active, denied
    websub_expires_at: Mapped[datetime | None]
    websub_note: Mapped[str | None] = mapped_column(Text)


class UpstreamRun(Base):
    """One sync of an upstream (``sync``, ``full``, ``push``): when, what it did to the store, why it failed.

    ``outcome``: ``running`` while open, then ``ok``, ``partial`` (some posts refused: ``error`` says
    which), ``error`` (the upstream failed: nothing deleted), ``interrupted`` or ``abandoned``.
    """

    __tablename__ = "upstream_runs"
    __table_args__ = (Index("ix_upstream_runs_upstream_started", "upstream_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    upstream_id: Mapped[int] = mapped_column(ForeignKey("upstreams.id", ondelete="CASCADE"))
    job: Mapped[str] = mapped_column(String(16))
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16))
    requests: Mapped[int] = mapped_column(Integer, default=0)
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    deleted: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class UpstreamItem(Base):
    """A post of an upstream kept as an article: its id there, its GUID, what it looked like when synced.

    ``modified`` is the upstream's change marker (WordPress's ``modified_gmt``, a digest of a feed entry):
    an unchanged post is skipped without cleaning or comparing. ``removed`` notes what cleaning dropped.
    """

    __tablename__ = "upstream_items"

    upstream_id: Mapped[int] = mapped_column(ForeignKey("upstreams.id", ondelete="CASCADE"), primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), index=True)
    guid: Mapped[str] = mapped_column(String(200))
    modified: Mapped[str] = mapped_column(String(64))
    removed: Mapped[str | None] = mapped_column(Text)
