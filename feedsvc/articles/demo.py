"""Demo articles written for feedsvc (idempotent by external_id)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from feedsvc.articles.demo_data import DEMO_ARTICLES
from feedsvc.articles.schemas import ArticleInSchema
from feedsvc.articles.upsert import upsert_article


def load_demo_articles(session: Session) -> int:
    """Insert the demo articles not yet present (and refresh changed ones); return how many were new."""
    schema = ArticleInSchema()
    outcomes = [upsert_article(session, schema.load(item)) for item in DEMO_ARTICLES]
    return outcomes.count("created")
