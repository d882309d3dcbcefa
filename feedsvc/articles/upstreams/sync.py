"""Syncing one upstream: under its lease, as one recorded run, within a budget, however it ends.

Each upstream runs under its own database lease (``upstream:<name>``, feedsvc/core/jobs.py), so two
processes never sync it at once, and a scheduled run claims its trigger first, so two schedulers never run
one trigger twice. What the upstream does wrong (4xx, 5xx, a timeout, a body that is not what it should
be) ends the run as ``error`` with its reason and deletes nothing; posts it cannot store are refused one by
one (``partial``). Ctrl-C or SIGTERM closes the run as ``interrupted``; a run whose process was killed is
closed as ``abandoned`` by the next.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import requests
from flask import current_app
from sqlalchemy.orm import Session

from feedsvc.articles.upstreams.entries import Entry
from feedsvc.articles.upstreams.registry import get_upstream
from feedsvc.articles.upstreams.runs import (
    close_abandoned_runs,
    close_run,
    count_into,
    open_run,
    summarise,
)
from feedsvc.articles.upstreams.websub import signature_matches
from feedsvc.articles.upstreams.wordpress import UpstreamError
from feedsvc.articles.upstreams.write import Counts, write_entries
from feedsvc.core.db import get_engine, new_session
from feedsvc.core.fetch import Fetched, UpstreamSession, fetch, http_timeout, make_http_session
from feedsvc.core.jobs import Lease, LeaseLost, job_turn, utcnow
from feedsvc.core.models import Upstream, UpstreamRun
from feedsvc.core.stop import check_stop

log = logging.getLogger(__name__)
USER_AGENT = "feedsvc/0.1 (article upstream sync; python-requests)"
FAILURES = (requests.RequestException, UpstreamError)


class UnknownUpstream(LookupError):
    """No upstream has that name."""


class BudgetSpent(Exception):
    """The run spent UPSTREAM_JOB_BUDGET; what it committed stays and the next run goes on."""


@dataclass
class SyncSummary:
    """The outcome of one sync: its counts, outcome and error, or who held it when skipped."""

    name: str
    job: str
    outcome: str = "skipped"
    counts: Counts = field(default_factory=Counts)
    requests: int = 0
    error: str | None = None
    holder: str | None = None  # the process holding the lease, or that ran this trigger


@dataclass
class Run:
    """What a running sync works with: its session, upstream, record, HTTP session and budget."""

    session: Session
    upstream: Upstream
    record: UpstreamRun
    http: UpstreamSession
    lease: Lease
    full: bool
    deadline: float
    config: Any
    counts: Counts = field(default_factory=Counts)  # what the committed pages did
    notes: list[str] = field(default_factory=list)
    pending: Counts = field(default_factory=Counts)  # what the page not yet committed does
    # (id, change marker) of the posts this run read: pages overlap by a second; an edited post comes again.
    seen: set[tuple[str, str]] = field(default_factory=set)
    requests: int = 0  # kept here too: a rollback must not forget the request that failed

    def check(self) -> None:
        """Stop on SIGTERM, on a lost lease, or when the budget is spent."""
        check_stop()
        self.lease.check()
        if time.monotonic() >= self.deadline:
            budget = self.config["UPSTREAM_JOB_BUDGET"]
            raise BudgetSpent(f"budget of {budget:g} s spent; the next run goes on")

    def get(self, url: str, headers: dict[str, str] | None = None) -> Fetched:
        """One GET within the budget, counted in the run's record."""
        self.check()
        self.count_request()
        return fetch(self.http, url, http_timeout(self.config), headers)

    def count_request(self) -> None:
        """Count one request to the upstream."""
        self.requests += 1
        self.record.requests = self.requests

    def write(self, entries: list[Entry], now: datetime | None = None) -> Counts:
        """Write a page of entries (not committed: the caller adds what goes with them, then commits)."""
        page = write_entries(self.session, self.upstream, entries, now or utcnow(), self.full)
        self.pending.add(page)
        return page

    def commit(self) -> None:
        """Commit the page with the run's counts: a killed run's record says what really landed."""
        total = Counts()
        total.add(self.counts)
        total.add(self.pending)
        count_into(self.record, total)
        self.session.commit()
        self.counts, self.pending = total, Counts()


def sync(name: str, full: bool = False, scheduled_at: datetime | None = None) -> SyncSummary:
    """Sync the upstream ``name`` now (``full``: every post, and the sweep); never raises but to stop."""
    job = "full" if full else "sync"
    with new_session() as session:
        upstream = get_upstream(session, name)
        if upstream is None:
            raise UnknownUpstream(f"no upstream called {name!r}")
    summary = SyncSummary(name, job)
    with job_turn(get_engine(), f"upstream:{name}", _lease_ttl(), scheduled_at) as turn:
        if not turn.held:
            summary.holder = turn.holder
            return summary
        _run_recorded(name, summary, turn.lease, full, scheduled_at, _pull)
    return summary


def _lease_ttl() -> timedelta:
    return timedelta(seconds=current_app.config["LEASE_SECONDS"])


@dataclass(frozen=True)
class PushOutcome:
    """What became of a pushed feed: accepted, unknown, bad-signature, busy or malformed, and why."""

    result: str
    message: str


def receive_push(name: str, body: bytes, content_type: str, signature: str) -> PushOutcome:
    """Write a feed the hub pushed, if its signature is ours, as a recorded ``push`` run under the lease."""
    with new_session() as session:
        upstream = get_upstream(session, name)
        if upstream is None or upstream.kind != "feed" or not upstream.websub_secret:
            return PushOutcome("unknown", f"no subscription of an upstream called {name!r}")
        if not signature_matches(upstream.websub_secret, body, signature):
            return PushOutcome("bad-signature", "X-Hub-Signature is missing or does not match the body")
    summary = SyncSummary(name, "push")
    with job_turn(get_engine(), f"upstream:{name}", _lease_ttl()) as turn:
        if not turn.held:
            return PushOutcome("busy", f"upstream {name!r} is being synced; push again later")
        _run_recorded(name, summary, turn.lease, False, None, lambda run: _push(run, body, content_type))
    if summary.outcome == "error":
        return PushOutcome("malformed", summary.error or "the pushed body is not a feed")
    return PushOutcome("accepted", f"{summary.counts.created} created, {summary.counts.updated} updated")


def _pull(run: Run) -> None:
    from feedsvc.articles.upstreams.pull import pull

    pull(run)


def _push(run: Run, body: bytes, content_type: str) -> None:
    from feedsvc.articles.upstreams.pull import apply_feed, parse_feed

    apply_feed(run, parse_feed(body, content_type))
    run.commit()


def _run_recorded(name: str, summary: SyncSummary, lease: Lease, full: bool,
                  scheduled_at: datetime | None, work: Callable[[Run], None]) -> None:
    config = current_app.config
    deadline = time.monotonic() + config["UPSTREAM_JOB_BUDGET"]
    with new_session() as session, make_http_session(config, deadline, USER_AGENT) as http:
        upstream = get_upstream(session, name)
        assert upstream is not None
        close_abandoned_runs(session, upstream.id, utcnow())
        record = open_run(session, upstream, summary.job, utcnow(), scheduled_at)
        run = Run(session, upstream, record, http, lease, full, deadline, config)
        try:
            work(run)
            outcome = "partial" if run.notes or run.counts.rejected else "ok"
        except BudgetSpent as exc:
            session.rollback()
            run.notes.append(str(exc))
            outcome = "partial"
        except FAILURES as exc:
            session.rollback()  # the page being written is dropped whole; pages before it stay
            run.notes.append(describe_failure(exc))
            outcome = "error"
        except LeaseLost as exc:
            session.rollback()
            run.notes.append(str(exc))
            outcome = "error"
        except Exception as exc:  # a bug or a database error: recorded, and the scheduler goes on
            log.exception("upstream %s: sync failed", name)
            session.rollback()
            run.notes.append(f"internal error: {exc!r}")
            outcome = "error"
        except BaseException:  # Ctrl-C or SIGTERM: close the record as interrupted, then stop
            session.rollback()
            close_run(record, "interrupted", "interrupted", utcnow())
            session.commit()
            raise
        record.requests = run.requests
        close_run(record, outcome, summarise(run.notes, run.counts), utcnow())
        session.commit()
        summary.outcome, summary.counts, summary.error = outcome, run.counts, record.error
        summary.requests = record.requests


def describe_failure(exc: Exception) -> str:
    """A failed request or answer in one line."""
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"HTTP {exc.response.status_code} from {exc.response.url}"
    if isinstance(exc, requests.TooManyRedirects):
        return f"too many redirects (a redirect loop?): {exc}"
    if isinstance(exc, UpstreamError):
        return str(exc)
    return f"{exc.__class__.__name__}: {exc}"
