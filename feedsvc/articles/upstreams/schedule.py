"""Which upstreams are due: the scheduler checks every minute, so one added or removed needs no restart.

An upstream synced every N seconds is due once per slot of N seconds since the epoch (the same slots in
every process): the slot's start is the trigger a run claims, so two schedulers run each slot once. A feed
pushed to by its WebSub hub is not polled while its subscription is active.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from feedsvc.articles.upstreams.registry import list_upstreams
from feedsvc.articles.upstreams.sync import SyncSummary, UnknownUpstream, sync
from feedsvc.articles.upstreams.websub import is_pushed
from feedsvc.core.db import new_session
from feedsvc.core.models import JobTrigger, Upstream

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def due_slot(upstream: Upstream, now: datetime) -> datetime:
    """The start of the upstream's current slot: the trigger a scheduled run of it answers."""
    elapsed = int((now - EPOCH).total_seconds())
    return datetime.fromtimestamp(elapsed - elapsed % upstream.every_seconds, UTC)


def due_upstreams(now: datetime) -> list[tuple[str, datetime]]:
    """(name, slot) of every upstream whose current slot no process has claimed yet."""
    due = []
    with new_session() as session:
        for upstream in list_upstreams(session):
            if upstream.kind == "feed" and is_pushed(upstream, now):
                continue
            slot = due_slot(upstream, now)
            claimed = session.scalar(select(JobTrigger.holder).where(
                JobTrigger.job == f"upstream:{upstream.name}", JobTrigger.scheduled_at == slot))
            if claimed is None:
                due.append((upstream.name, slot))
    return due


def sync_due(now: datetime | None = None) -> list[SyncSummary]:
    """Sync every due upstream, one after the other, each as its slot's trigger."""
    summaries = []
    for name, slot in due_upstreams(now or datetime.now(UTC)):
        try:
            summaries.append(sync(name, scheduled_at=slot))
        except UnknownUpstream:  # removed meanwhile
            continue
    return summaries
