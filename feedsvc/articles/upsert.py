"""Idempotent writes for import and demo data: create, update only when something changed, or skip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.articles import store
from feedsvc.articles.clean import clean_article_fields
from feedsvc.models import Article

Outcome = Literal["created", "updated", "unchanged"]


def find_existing(session: Session, data: Mapping[str, Any]) -> Article | None:
    """The article this input is a copy of: same ``external_id``, else same ``uuid``."""
    if data.get("external_id"):
        return store.get_article_by_external_id(session, data["external_id"])
    if data.get("uuid"):
        return session.scalar(select(Article).where(Article.uuid == str(data["uuid"])))
    return None


def changed_fields(session: Session, article: Article, data: Mapping[str, Any]) -> set[str]:
    """Names of the fields whose cleaned new value differs from what the article holds."""
    clean = clean_article_fields(data, data.get("source_url") or article.source_url)
    changed = set()
    for key, value in clean.items():
        if key == "uuid":
            continue  # a uuid never changes
        if key == "countries":
            found = [store.get_country(session, name) for name in value]
            # An unknown country counts as a change: the update then reports it.
            value = None if None in found else sorted({c.slug for c in found if c is not None})
            current: Any = sorted(c.slug for c in article.countries)
        elif key == "tags":
            value, current = sorted({tag.lower() for tag in value or []}), [t.slug for t in article.tags]
        else:
            current = getattr(article, key)
            if key in ("summary", "content_html") and value is None:
                value = ""
        if value != current:
            changed.add(key)
    return changed


def upsert_article(session: Session, data: Mapping[str, Any]) -> Outcome:
    """Create the article, or update its copy only if a field changed; the caller commits."""
    existing = find_existing(session, data)
    if existing is None:
        store.create_article(session, data)
        return "created"
    if not changed_fields(session, existing, data):
        return "unchanged"
    store.update_article(session, existing, {k: v for k, v in data.items() if k != "uuid"})
    return "updated"
