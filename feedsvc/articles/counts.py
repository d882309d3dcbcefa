"""Article counters: how many stored articles each listing holds per month, kept in the write's transaction.

A listing is every article (country 0, tag 0), a country's, a tag's, or a country's with a tag. Each
counter row counts the articles of one listing published in one UTC month, scheduled ones included:
an embargo that ends changes nothing stored, so a read takes the scheduled ones off with a count of the
few articles whose ``published_at`` is still ahead (an index range scan past now). A listing's total is
the sum of its months; page N starts in the month where the running sum passes N's first position, so
finding it walks a few hundred month rows and then skips within one month, never the archive.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from feedsvc.core.models import Article, ArticleCount

ANY = 0  # the country_id or tag_id of a counter that counts every country or every tag
Key = tuple[int, int, int]  # (country_id, tag_id, month)


def month_of(when: datetime) -> int:
    """``when``'s UTC month as year * 100 + month, the counters' unit."""
    when = when.astimezone(UTC)
    return when.year * 100 + when.month


def month_end(month: int) -> datetime:
    """The first instant after ``month``."""
    year, number = divmod(month, 100)
    return datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)


def listing_keys(country_ids: Iterable[int], tag_ids: Iterable[int], month: int) -> list[Key]:
    """The counters one article is in: every pair of (any or one of its countries, any or one of its tags)."""
    tags = (ANY, *tag_ids)
    return [(country, tag, month) for country in (ANY, *country_ids) for tag in tags]


def article_keys(session: Session, article: Article) -> list[Key]:
    """The counters of a stored article (its new tags get their ids first)."""
    if any(tag.id is None for tag in article.tags):
        session.flush()
    return listing_keys([c.id for c in article.countries], [t.id for t in article.tags],
                        month_of(article.published_at))


def add_counts(session: Session, deltas: Counter[Key]) -> None:
    """Add ``deltas`` to the counters, creating the missing rows, in one statement."""
    rows = [{"country_id": c, "tag_id": t, "month": m, "count": n}
            for (c, t, m), n in sorted(deltas.items()) if n]  # a fixed order: writers lock rows alike
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(ArticleCount)
    table = ArticleCount.__table__
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.country_id, table.c.tag_id, table.c.month],
                                      set_={"count": table.c.count + stmt.excluded.count})
    session.execute(stmt, rows)


def count_change(before: Sequence[Key], after: Sequence[Key]) -> Counter[Key]:
    """The deltas that move an article from the counters ``before`` to ``after``."""
    deltas: Counter[Key] = Counter(after)
    deltas.subtract(before)
    return deltas


def stored_total(session: Session, country_id: int, tag_id: int) -> int:
    """How many stored articles (scheduled ones included) a listing holds."""
    stmt = select(func.coalesce(func.sum(ArticleCount.count), 0)).where(
        ArticleCount.country_id == country_id, ArticleCount.tag_id == tag_id)
    return int(session.scalar(stmt) or 0)


def totals_by_country(session: Session, country_ids: Sequence[int]) -> dict[int, int]:
    """Stored articles per country id (scheduled ones included)."""
    # country_id IN (...) with tag_id = 0: a range of the primary key per country, not every counter row.
    stmt = (select(ArticleCount.country_id, func.sum(ArticleCount.count))
            .where(ArticleCount.country_id.in_(country_ids), ArticleCount.tag_id == ANY)
            .group_by(ArticleCount.country_id))
    return {country: int(total) for country, total in session.execute(stmt)}


def locate(session: Session, country_id: int, tag_id: int, position: int) -> tuple[int, int] | None:
    """The month holding a listing's article at ``position`` (0 = newest stored) and its offset in it.

    None when the listing is shorter.
    """
    stmt = (select(ArticleCount.month, ArticleCount.count)
            .where(ArticleCount.country_id == country_id, ArticleCount.tag_id == tag_id,
                   ArticleCount.count > 0)
            .order_by(ArticleCount.month.desc()))
    passed = 0
    for month, count in session.execute(stmt):
        if position < passed + count:
            return month, position - passed
        passed += count
    return None


# The month of published_at in UTC as year * 100 + month, per database (the stored forms differ).
_MONTH = {"sqlite": "CAST(strftime('%Y%m', a.published_at) AS INTEGER)",
          "postgresql": "CAST(to_char(a.published_at AT TIME ZONE 'UTC', 'YYYYMM') AS INTEGER)"}
_LISTINGS = [  # the (country, tag) of each kind of listing, and the joins that give it
    ("0", "0", ""),
    ("ac.country_id", "0", "JOIN article_countries ac ON ac.article_id = a.id"),
    ("0", "at.tag_id", "JOIN article_tags at ON at.article_id = a.id"),
    ("ac.country_id", "at.tag_id",
     "JOIN article_countries ac ON ac.article_id = a.id JOIN article_tags at ON at.article_id = a.id"),
]


def rebuild_counts(connection: Connection) -> None:
    """Recount every counter from the stored articles (after rows were written around the store)."""
    month = _MONTH[connection.dialect.name]
    connection.execute(delete(ArticleCount))
    for country, tag, joins in _LISTINGS:
        groups = ", ".join(term for term in (country, tag, month) if term != "0")  # "GROUP BY 0": a position
        connection.execute(text(
            f"INSERT INTO article_counts (country_id, tag_id, month, count) "  # noqa: S608 - constants only
            f"SELECT {country}, {tag}, {month}, count(*) FROM articles a {joins} GROUP BY {groups}"))


def counter_rows(session: Session) -> dict[Key, Any]:
    """Every non-zero counter (for checks and tests)."""
    rows = session.execute(select(ArticleCount.country_id, ArticleCount.tag_id, ArticleCount.month,
                                  ArticleCount.count).where(ArticleCount.count != 0))
    return {(c, t, m): n for c, t, m, n in rows}
