"""Light rows of the visible articles, for sitemaps: ids, titles and times, without loading whole articles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from feedsvc.articles.store import visible_at
from feedsvc.core.models import Article


def oldest_recent(session: Session, since: datetime, now: datetime) -> Row[Any] | None:
    """(id, published_at) of the oldest article published after ``since`` and visible at ``now``, or None."""
    stmt = (select(Article.id, Article.published_at).where(Article.published_at > since, visible_at(now))
            .order_by(Article.published_at, Article.id).limit(1))
    return session.execute(stmt).first()


def visible_id_range(session: Session, now: datetime) -> tuple[int, int] | None:
    """The lowest and highest id of the articles visible at ``now``, or None when none is.

    Each end of the primary key is walked past at most the scheduled articles, which are few (a filter on
    published_at would lead SQLite to the (published_at, id) index and a sort of every id).
    """
    scheduled = session.scalar(select(func.count(Article.id)).where(~visible_at(now))) or 0
    ends = []
    for order in (Article.id.asc(), Article.id.desc()):
        rows = session.execute(select(Article.id, Article.published_at).order_by(order).limit(scheduled + 1))
        ends.append(next((article_id for article_id, published in rows if published <= now), None))
    return None if ends[0] is None or ends[1] is None else (ends[0], ends[1])


def select_visible_rows(session: Session, now: datetime, first_id: int, last_id: int) -> list[Row[Any]]:
    """(id, title, updated_at) of visible articles with ids from ``first_id`` to ``last_id``, in id order."""
    stmt = (select(Article.id, Article.title, Article.updated_at)
            .where(Article.id.between(first_id, last_id), visible_at(now)).order_by(Article.id))
    return list(session.execute(stmt))


def select_recent_rows(session: Session, since: datetime, now: datetime, limit: int) -> list[Row[Any]]:
    """(id, title, published_at, language) of articles published after ``since`` and visible, newest first."""
    stmt = (select(Article.id, Article.title, Article.published_at, Article.language)
            .where(Article.published_at > since, visible_at(now))
            .order_by(Article.published_at.desc(), Article.id.desc()).limit(limit))
    return list(session.execute(stmt))
