"""Light rows of the visible articles, for sitemaps: ids, titles and times, without loading whole articles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from feedsvc.articles.store import visible_at
from feedsvc.core.models import Article


def count_visible(session: Session, now: datetime) -> int:
    """How many articles are visible at ``now``."""
    return session.scalar(select(func.count(Article.id)).where(visible_at(now))) or 0


def newest_visible(session: Session, now: datetime) -> datetime | None:
    """The publication time of the newest article visible at ``now`` (one index seek), or None."""
    stmt = select(Article.published_at).where(visible_at(now)).order_by(Article.published_at.desc()).limit(1)
    return session.scalar(stmt)


def select_visible_rows(session: Session, now: datetime, offset: int, limit: int) -> list[Row[Any]]:
    """(id, title, updated_at) of visible articles in id order, from ``offset``: one sitemap file's share."""
    stmt = (select(Article.id, Article.title, Article.updated_at).where(visible_at(now))
            .order_by(Article.id).offset(offset).limit(limit))
    return list(session.execute(stmt))


def select_recent_rows(session: Session, since: datetime, now: datetime, limit: int) -> list[Row[Any]]:
    """(id, title, published_at, language) of articles published after ``since`` and visible, newest first."""
    stmt = (select(Article.id, Article.title, Article.published_at, Article.language)
            .where(Article.published_at > since, visible_at(now))
            .order_by(Article.published_at.desc(), Article.id.desc()).limit(limit))
    return list(session.execute(stmt))
