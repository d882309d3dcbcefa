"""Tags as a vocabulary: which slugs editors have used."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import Tag


def tag_exists(session: Session, slug: str) -> bool:
    """True when some article was ever given the tag ``slug``."""
    return session.scalar(select(Tag.id).where(Tag.slug == slug)) is not None
