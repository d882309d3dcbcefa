"""Going live: a scheduled article appears at its time with no write, so a job claims and announces it.

Each article that went live is claimed once, by whichever process inserts its row in ``job_triggers``
first (``go-live:<id>`` at its ``published_at``; the primary key lets one insert win), so several
schedulers announce it exactly once. Articles that went live more than ``LOOKBACK`` ago are left alone:
a scheduler that was down that long does not announce old news as new.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedsvc.articles.store import visible_at
from feedsvc.core.models import Article, JobTrigger

LOOKBACK = timedelta(days=1)


def claim_gone_live(session: Session, engine: Engine, now: datetime) -> list[Article]:
    """The articles that went live (after their last write) within LOOKBACK and that this call claimed."""
    due = session.scalars(select(Article).where(
        visible_at(now), Article.published_at > now - LOOKBACK, Article.published_at > Article.updated_at,
    ).order_by(Article.published_at, Article.id))
    holder = f"{socket.gethostname()}:{os.getpid()}"
    return [article for article in due if _claim(engine, article, holder, now)]


def _claim(engine: Engine, article: Article, holder: str, now: datetime) -> bool:
    try:
        with engine.begin() as conn:
            conn.execute(insert(JobTrigger).values(job=f"go-live:{article.id}",
                                                   scheduled_at=article.published_at, holder=holder,
                                                   claimed_at=now))
    except IntegrityError:  # another process announced it
        return False
    return True
