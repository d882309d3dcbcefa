"""Change markers: a revision and a time per scope, bumped in the same transaction as a write."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from feedsvc.models import ChangeMarker


def country_scope(slug: str) -> str:
    """The scope name of one country's articles."""
    return f"articles:{slug}"


def bump_markers(session: Session, scopes: Iterable[str], now: datetime) -> None:
    """Advance the revision of every scope in ``scopes`` (missing ones are created)."""
    scopes = sorted(set(scopes))  # a fixed order, so concurrent writers lock rows alike
    known = set(session.scalars(select(ChangeMarker.scope).where(ChangeMarker.scope.in_(scopes))))
    for scope in scopes:
        if scope not in known:
            session.add(ChangeMarker(scope=scope, revision=0, changed_at=now))
    session.flush()
    session.execute(
        update(ChangeMarker)
        .where(ChangeMarker.scope.in_(scopes))
        .values(revision=ChangeMarker.revision + 1, changed_at=now)
    )


def get_marker(session: Session, scope: str) -> ChangeMarker | None:
    """The marker of one scope, or None."""
    return session.get(ChangeMarker, scope)
