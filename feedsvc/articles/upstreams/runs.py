"""Upstream runs' records: opened, counted page by page, closed however the run ends; what they tell.

A run is opened before its first request and its counts are committed with each page, so a process killed
mid-run (``kill -9``) leaves an open run whose counts are what really landed; the next run of that
upstream, holding its lease, closes it as ``abandoned``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.articles.upstreams.write import Counts
from feedsvc.core.models import Upstream, UpstreamItem, UpstreamRun

log = logging.getLogger(__name__)
COUNTED = ("fetched", "created", "updated", "unchanged", "deleted", "skipped", "rejected")
OUTCOMES = ("running", "ok", "partial", "error", "interrupted", "abandoned")
MAX_REASONS = 5


def open_run(session: Session, upstream: Upstream, job: str, now: datetime,
             scheduled_at: datetime | None = None) -> UpstreamRun:
    """A new run record, committed: visible as ``running`` while it works."""
    run = UpstreamRun(upstream_id=upstream.id, job=job, scheduled_at=scheduled_at, started_at=now,
                      outcome="running", requests=0, **dict.fromkeys(COUNTED, 0))
    session.add(run)
    session.commit()
    return run


def count_into(run: UpstreamRun, counts: Counts) -> None:
    """Set the run's counts (committed with the page they describe)."""
    for name in COUNTED:
        setattr(run, name, getattr(counts, name))


def close_run(run: UpstreamRun, outcome: str, error: str | None, now: datetime) -> None:
    """Close the run with its outcome and error (the caller commits)."""
    run.outcome, run.error, run.finished_at = outcome, error, now


def summarise(notes: list[str], counts: Counts) -> str | None:
    """The run's error text: its notes, then the first refused posts' reasons and how many more."""
    reasons = counts.reasons[:MAX_REASONS]
    more = len(counts.reasons) - len(reasons)
    parts = notes + reasons + ([f"(+{more} more refused)"] if more else [])
    return "; ".join(parts) or None


def close_abandoned_runs(session: Session, upstream_id: int, now: datetime) -> int:
    """Close the upstream's open runs as ``abandoned`` (their process died); how many there were."""
    runs = session.scalars(select(UpstreamRun).where(UpstreamRun.upstream_id == upstream_id,
                                                     UpstreamRun.finished_at.is_(None)))
    closed = 0
    for run in runs:
        close_run(run, "abandoned", "abandoned: its process died; the pages it committed stay", now)
        log.warning("upstream run %s started %s was abandoned; %d created, %d updated had landed",
                    run.id, run.started_at, run.created, run.updated)
        closed += 1
    session.commit()
    return closed


def latest_runs(session: Session) -> dict[int, UpstreamRun]:
    """Each upstream's newest run."""
    newest = (select(UpstreamRun.upstream_id, func.max(UpstreamRun.id).label("id"))
              .group_by(UpstreamRun.upstream_id).subquery())
    rows = session.scalars(select(UpstreamRun).join(newest, UpstreamRun.id == newest.c.id))
    return {run.upstream_id: run for run in rows}


def last_successes(session: Session) -> dict[int, datetime]:
    """When each upstream's newest run that did not fail started."""
    rows = session.execute(select(UpstreamRun.upstream_id, func.max(UpstreamRun.started_at))
                           .where(UpstreamRun.outcome.in_(("ok", "partial")))
                           .group_by(UpstreamRun.upstream_id))
    return dict(rows.all())


def last_scheduled(session: Session, upstream_id: int) -> datetime | None:
    """The newest trigger time a scheduled run of the upstream answered."""
    newest = select(func.max(UpstreamRun.scheduled_at)).where(UpstreamRun.upstream_id == upstream_id)
    return session.scalar(newest)


@dataclass(frozen=True)
class UpstreamFigures:
    """One upstream as /metrics shows it."""

    name: str
    kind: str
    up: bool | None  # the newest finished run did not fail; None: never ran
    last_run: datetime | None
    last_success: datetime | None
    articles: int
    pushed: bool  # a WebSub subscription is active
    runs: dict[str, int]  # outcome -> runs recorded
    last_counts: dict[str, int]


def upstreams_snapshot(session: Session, config: Mapping[str, Any] | None = None) -> list[UpstreamFigures]:
    """Every upstream's figures for a metrics scrape, in a few grouped queries."""
    latest, successes = latest_runs(session), last_successes(session)
    articles = dict(session.execute(select(UpstreamItem.upstream_id, func.count())
                                    .group_by(UpstreamItem.upstream_id)).all())
    runs: dict[int, dict[str, int]] = {}
    for upstream_id, outcome, count in session.execute(
            select(UpstreamRun.upstream_id, UpstreamRun.outcome, func.count())
            .group_by(UpstreamRun.upstream_id, UpstreamRun.outcome)):
        runs.setdefault(upstream_id, {})[outcome] = count
    figures = []
    for upstream in session.scalars(select(Upstream).order_by(Upstream.name)):
        run = latest.get(upstream.id)
        figures.append(UpstreamFigures(
            upstream.name, upstream.kind, None if run is None else run.outcome not in ("error", "abandoned"),
            run.started_at if run else None, successes.get(upstream.id), articles.get(upstream.id, 0),
            upstream.websub_state == "active", runs.get(upstream.id, {}),
            {name: getattr(run, name) for name in COUNTED} if run else {}))
    return figures
