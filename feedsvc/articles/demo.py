"""Demo articles written for feedsvc (idempotent by external_id)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from feedsvc.articles.demo_data import DEMO_ARTICLES, DEMO_EDITS
from feedsvc.articles.schemas import ArticleInSchema
from feedsvc.articles.store import get_article_by_external_id
from feedsvc.articles.upsert import upsert_article
from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import ARTICLES_SCOPE, country_scope


def load_demo_articles(session: Session) -> int:
    """Insert the demo articles not yet present (and refresh changed ones); return how many were new.

    Their images are the app's own files, stored as paths on this site (``/assets/demo/...``): every
    page and feed writes them out on the address it is served at, whatever host, port or proxy path.
    """
    schema = ArticleInSchema()
    created = 0
    for item in DEMO_ARTICLES:
        data = schema.load(item)
        created += upsert_article(session, data) == "created"
        edited = DEMO_EDITS.get(data["external_id"])
        _date_last_edit(session, data["external_id"], _parse(edited) if edited else data["published_at"])
    return created


def _date_last_edit(session: Session, external_id: str, edited: datetime) -> None:
    """Give a demo article the edit time its story states, not the time it was loaded."""
    article = get_article_by_external_id(session, external_id)
    if article is None or article.updated_at == edited:
        return
    article.updated_at = edited
    # The feeds show the edit time, so their ETags must change with it (a no-op load changes nothing).
    scopes = {ARTICLES_SCOPE} | {country_scope(c.slug) for c in article.countries}
    bump_markers(session, scopes, datetime.now(UTC))


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)
