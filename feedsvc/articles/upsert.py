"""Idempotent writes for import and demo data: create, update only when something changed, or skip."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.articles import store
from feedsvc.models import Article

Outcome = Literal["created", "updated", "unchanged"]


def find_existing(session: Session, data: Mapping[str, Any]) -> Article | None:
    """The article this input is a copy of: same ``external_id``, else same ``uuid``."""
    if data.get("external_id"):
        return store.get_article_by_external_id(session, data["external_id"])
    if data.get("uuid"):
        return session.scalar(select(Article).where(Article.uuid == str(data["uuid"])))
    return None


def upsert_article(session: Session, data: Mapping[str, Any]) -> Outcome:
    """Create the article, or update its copy only if a field changed; the caller commits."""
    existing = find_existing(session, data)
    if existing is None:
        store.create_article(session, data)
        return "created"
    if not store.changed_fields(session, existing, data):
        return "unchanged"
    store.update_article(session, existing, {k: v for k, v in data.items() if k != "uuid"})
    return "updated"
