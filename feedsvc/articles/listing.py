"""Listings: pages of articles newest first, their totals from the counters, cursors, and search results.

No read counts or skips the archive. A total is the listing's counters less its scheduled articles;
page N seeks to the month the counters place it in and skips within that month only; a cursor
(``after``) seeks to the last article a client saw. Search ranks the matches of its words: its cost
follows the number of matches, not the archive.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import Session, defer, raiseload
from sqlalchemy.sql.base import ExecutableOption

from feedsvc.articles.counts import ANY, locate, month_end, stored_total, totals_by_country
from feedsvc.articles.search import search_page_pg, sqlite_hits, sqlite_page
from feedsvc.articles.search_query import parse_search_terms
from feedsvc.articles.store import filter_articles, newest_first, visible_at
from feedsvc.core.models import MAX_ID, Article, Country, Tag, article_countries

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CURSOR = re.compile(r"[A-Za-z0-9_-]{1,40}")
_CURSOR_TEXT = re.compile(r"([0-9]{1,17})\.([0-9]{1,10})")


@dataclass(frozen=True)
class Cursor:
    """Where a walk through a listing stands: the last article seen, by (published_at, id)."""

    published_at: datetime
    id: int

    def encode(self) -> str:
        """The opaque ``after=`` value (URL-safe): it only names a position, so it needs no secret."""
        micros = (self.published_at - EPOCH) // timedelta(microseconds=1)
        return base64.urlsafe_b64encode(f"{micros}.{self.id}".encode()).rstrip(b"=").decode()


def decode_cursor(value: str) -> Cursor:
    """The position an ``after=`` value names; ValueError when it is not one this service made."""
    if not _CURSOR.fullmatch(value):
        raise ValueError("not a cursor")
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor") from None
    found = _CURSOR_TEXT.fullmatch(raw)
    if found is None or int(found[2]) > MAX_ID:
        raise ValueError("not a cursor")
    try:
        return Cursor(EPOCH + timedelta(microseconds=int(found[1])), int(found[2]))
    except OverflowError:
        raise ValueError("not a cursor") from None


@dataclass(frozen=True)
class Page:
    """One page of a listing, with the totals the seed page shows ("1 - 6 of 11").

    ``page`` is None for a page reached by cursor; ``next`` is the cursor of the page after, if any.
    """

    items: list[Any]
    page: int | None
    per_page: int
    total: int
    next: Cursor | None = None

    @property
    def pages(self) -> int:
        """Number of pages (0 when there are no items)."""
        return math.ceil(self.total / self.per_page)

    @property
    def first(self) -> int:
        """1-based index of the first item shown, or 0 when none is (or the page is a cursor's)."""
        return (self.page - 1) * self.per_page + 1 if self.items and self.page else 0

    @property
    def last(self) -> int:
        """1-based index of the last item shown, or 0 when none is."""
        return self.first + len(self.items) - 1 if self.first else 0


def listing_ids(session: Session, country: str | None, tag: str | None) -> tuple[int, int] | None:
    """The counters' (country_id, tag_id) of a listing, or None when its country or tag does not exist."""
    country_id = tag_id = ANY
    if country:
        country_id = session.scalar(select(Country.id).where(Country.slug == country))
    if tag:
        tag_id = session.scalar(select(Tag.id).where(Tag.slug == tag.lower()))
    return None if country_id is None or tag_id is None else (country_id, tag_id)


def count_scheduled(session: Session, country: str | None, tag: str | None, now: datetime) -> int:
    """How many articles of a listing are scheduled after ``now`` (a scan of the few future rows)."""
    # The few ids first, then their links: a planner short of statistics may otherwise join the whole
    # link table to the future rows.
    ids = scheduled_ids(session, now)
    if not ids or (not country and not tag):
        return len(ids)
    return session.scalar(filter_articles(select(func.count(Article.id)).where(Article.id.in_(ids)),
                                          country, tag)) or 0


def scheduled_ids(session: Session, now: datetime) -> list[int]:
    """The ids of the articles scheduled after ``now``: a scan of the few future rows of the
    (published_at, id) index."""
    return list(session.scalars(select(Article.id).where(~visible_at(now))))


def count_visible(session: Session, now: datetime, country: str | None = None, tag: str | None = None) -> int:
    """How many articles of a listing are visible at ``now``: its counters less its scheduled articles."""
    listing = listing_ids(session, country, tag)
    if listing is None:
        return 0
    return stored_total(session, *listing) - count_scheduled(session, country, tag, now)


def count_by_country(session: Session) -> dict[str, int]:
    """Number of published articles per country slug."""
    now = datetime.now(UTC)
    countries = dict(session.execute(select(Country.id, Country.slug)).all())
    stored = totals_by_country(session, list(countries))
    # The few scheduled ids first, then their links, as in count_scheduled: joined, PostgreSQL read every
    # link of the archive (6 ms at 100,000 articles, on each miss of the home page).
    ids = scheduled_ids(session, now)
    links = article_countries.c
    ahead = select(links.country_id, func.count()).where(links.article_id.in_(ids)).group_by(links.country_id)
    scheduled = dict(session.execute(ahead).all()) if ids else {}
    return {slug: stored.get(cid, 0) - scheduled.get(cid, 0) for cid, slug in countries.items()}


def loader_options(teasers: bool) -> tuple[ExecutableOption, ...]:
    """How a listing loads its articles: whole, or as teasers, without their tags and content (reading
    either raises): an article's content is most of its row, and loading it doubled a listing's ORM cost."""
    return (raiseload(Article.tags), defer(Article.content_html, raiseload=True)) if teasers else ()


def list_articles(
    session: Session, *, country: str | None = None, tag: str | None = None, q: str | None = None,
    page: int = 1, per_page: int = 20, scheduled: bool = False, after: Cursor | None = None,
    teasers: bool = False,
) -> Page:
    """A page of articles matching the filters, newest first (by relevance with ``q``).

    Scheduled articles only if ``scheduled``; ``after`` continues after a cursor instead of a page number;
    ``teasers``: only what a teaser shows is loaded (``loader_options``).
    """
    now = datetime.now(UTC)
    listing = listing_ids(session, country, tag)
    if listing is None:
        return Page([], page, per_page, 0)
    if q and q.strip():
        return search_articles(session, q, country, tag, page, per_page, None if scheduled else now,
                               teasers=teasers)
    ahead = 0 if scheduled else count_scheduled(session, country, tag, now)
    total = stored_total(session, *listing) - ahead
    stmt = filter_articles(select(Article).options(*loader_options(teasers)), country, tag)
    if after is not None:
        stmt = stmt.where(tuple_(Article.published_at, Article.id) < tuple_(after.published_at, after.id))
        return _fetch(session, stmt if scheduled else stmt.where(visible_at(now)), None, per_page, total)
    # Scheduled articles are the newest: skipping them and N - 1 pages lands on page N's first.
    position = ahead + (page - 1) * per_page
    if position == ahead:
        return _fetch(session, stmt if scheduled else stmt.where(visible_at(now)), page, per_page, total)
    found = locate(session, *listing, position)
    if found is None:
        return Page([], page, per_page, total)
    month, offset = found
    stmt = stmt.where(Article.published_at < month_end(month)).offset(offset)
    return _fetch(session, stmt, page, per_page, total)


def _fetch(session: Session, stmt: Select[Any], page: int | None, per_page: int, total: int) -> Page:
    """Run a listing's select newest first; one row more tells whether a next page exists."""
    rows = list(session.scalars(newest_first(stmt).limit(per_page + 1)))
    items = rows[:per_page]
    after = Cursor(items[-1].published_at, items[-1].id) if len(rows) > per_page else None
    return Page(items, page, per_page, total, after)


def list_country_articles(session: Session, country: str, page: int, per_page: int, *,
                          teasers: bool = False) -> Page:
    """One page of a country's articles, newest first, with the total for "1 - 20 of 45"."""
    return list_articles(session, country=country, page=page, per_page=per_page, teasers=teasers)


def search_articles(session: Session, q: str, country: str | None, tag: str | None, page: int,
                    per_page: int, now: datetime | None, *, teasers: bool = False) -> Page:
    """A page of the articles matching ``q``, best first, each with a highlighted snippet.

    Only the newest MAX_MATCHES matches are ranked and counted (``total`` is at most that).
    """
    terms = parse_search_terms(q)
    if not terms:
        return Page([], page, per_page, 0)
    if session.get_bind().dialect.name == "postgresql":
        found, total = search_page_pg(session, terms, country, tag, now, per_page, (page - 1) * per_page,
                                      loader_options(teasers))
        return Page(found, page, per_page, total)
    ids, total = sqlite_page(session, terms, country, tag, now, (page - 1) * per_page, per_page)
    shown = select(Article).options(*loader_options(teasers)).where(Article.id.in_(ids))
    found = {a.id: a for a in session.scalars(shown)}
    return Page(sqlite_hits(session, terms, [found[i] for i in ids]), page, per_page, total)
