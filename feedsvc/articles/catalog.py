"""Light rows of the visible articles, for sitemaps: ids, titles and times, without loading whole articles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from feedsvc.articles.store import visible_at
from feedsvc.core.models import Article


def newest_visible(session: Session, now: datetime) -> datetime | None:
    """The publication time of the newest article visible at ``now`` (one index seek), or None."""
    stmt = select(Article.published_at).where(visible_at(now)).order_by(Article.published_at.desc()).limit(1)
    return session.scalar(stmt)


def visible_id_range(session: Session, now: datetime) -> tuple[int, int] | None:
    """The lowest and highest id of the articles visible at ``now``: two walks of the primary key's ends.

    Only scheduled articles can be passed over on the way, and they are few.
    """
    visible = select(Article.id).where(visible_at(now)).limit(1)
    lowest = session.scalar(visible.order_by(Article.id))
    if lowest is None:
        return None
    return lowest, session.scalar(visible.order_by(Article.id.desc())) or lowest


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
