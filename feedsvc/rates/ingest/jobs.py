"""Rate jobs: ``update`` (newest day + repair recent gaps) and ``backfill`` (a date range).

Each source runs under its own database lease (``rates:<name>``), so two processes never work on the
same source at once, and inside its own ``RateRun`` record, closed however the run ends (``interrupted``
by Ctrl-C or SIGTERM), or as ``abandoned`` by the next run when its process was killed outright. Every
day is committed on its own: an interrupted job keeps what it finished, and the next run skips days
already answered. An upstream that does not answer (timeouts, 5xx, refused connections, after retries)
ends that source's run; an unusable payload (HTML, truncated, invalid values) skips that day only.
Either is recorded as the run's error and the day is asked again next time; the other sources always
run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import RATES_SCOPE
from feedsvc.core.db import get_engine, new_session, outage_kind
from feedsvc.core.jobs import Lease, LeaseLost, job_turn, utcnow
from feedsvc.core.models import RateRun, RateSourceDay
from feedsvc.core.stop import check_stop, wait_or_stop
from feedsvc.rates.ingest.archive import keep_answer
from feedsvc.rates.ingest.guards import Limits, configured_limits
from feedsvc.rates.ingest.runs import bump_sources, close_abandoned_runs
from feedsvc.rates.ingest.store import mark_day, store_observations
from feedsvc.rates.served import refresh_pending
from feedsvc.rates.sources import Source, all_source_classes, build_sources
from feedsvc.rates.sources.base import NoData, SourceError, Table
from feedsvc.rates.sources.http import Answer, DeadlineExceeded, http_timeout, make_http_session

log = logging.getLogger(__name__)
# What an upstream can do to one day: fail to answer, or answer something unusable.
DAY_FAILURES = (requests.RequestException, SourceError)
# rate_source_days.status of a day kept as its USD line alone, before whole tables (migration 0013).
PARTIAL = "partial"
# A 404 checked this long after the day is final; earlier, the day may still be published.
NONE_IS_FINAL_AFTER = timedelta(days=2)
LINES_EVERY = 31  # days a backfill stores between refreshes of the pairs' lines (a range at a time)


@dataclass
class RunSummary:
    """The outcome of one source's run: rows written, days answered, the error if any."""

    source: str
    job: str
    rows_written: int = 0
    days_done: int = 0
    error: str | None = None
    skipped: bool = False  # another process holds this source's lease, or ran this trigger
    holder: str | None = None  # that process
    held_until: datetime | None = None  # its lease's expiry (renewed while it works)


DayHook = Callable[[date], None]


@dataclass
class Batch:
    """Days fetched with one request: one day, or a chunk of a range source's history."""

    days: list[date]
    ranged: bool = False
    currency: str = "USD"  # the history page asked, for a source with one page per currency


def enabled_sources(names: Iterable[str] | None = None) -> dict[str, Source]:
    """The enabled sources (optionally only ``names``), in priority order."""
    sources = build_sources(current_app.config)
    return sources if names is None else {n: s for n, s in sources.items() if n in set(names)}


def get_source(name: str) -> Source:
    """Any implemented source by name, enabled or not (for an explicit backfill)."""
    if name not in all_source_classes():
        raise KeyError(f"unknown rate source {name!r}")
    return build_sources({**current_app.config, "RATES_SOURCES": (name,)})[name]


def update(names: Iterable[str] | None = None, today: date | None = None,
           on_day: DayHook | None = None, scheduled_at: datetime | None = None) -> list[RunSummary]:
    """For each enabled source: fetch the newest day and repair gaps over the last RATES_GAP_DAYS.

    ``scheduled_at``: the scheduler's trigger time, run at most once per source across processes.
    """
    today = today or utcnow().date()
    gap_days = current_app.config["RATES_GAP_DAYS"]
    summaries = []
    for source in enabled_sources(names).values():
        with new_session() as session:
            days = days_to_update(session, source.name, today, gap_days)
        summaries.append(run_source(source, "update", days, on_day, today, scheduled_at))
    return summaries


def days_to_update(session: Session, source: str, today: date, gap_days: int) -> list[date]:
    """Oldest first: ``today`` always, and earlier days of the window not yet answered for good."""
    window = [today - timedelta(days=n) for n in range(gap_days - 1, -1, -1)]
    answered = _answered_days(session, source, window[0], today)
    return [day for day in window if day == today or not _is_final(answered.get(day), day)]


def pending_backfill_days(session: Session, source: str, start: date, end: date,
                          recheck: bool = False) -> list[date]:
    """The days of ``start``..``end`` the source has not answered yet (``ok`` and ``none`` are done;
    ``recheck``: a ``none`` is asked again).

    Every calendar day, also for a bank that publishes on weekdays today: history had Saturday rates
    (NBKR's 2005 page lists them), and a day asked for in vain is recorded once, as no data.
    """
    answered = _answered_days(session, source, start, end)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    again = {PARTIAL, "none"} if recheck else {PARTIAL}  # partial: a day kept as its USD line alone
    return [day for day in days if day not in answered or answered[day].status in again]


def track_name(source: str, currency: str = "USD") -> str:
    """The name a backfill records its days under: the source's, or ``nbkr:EUR`` for the history of one
    currency of a source whose history is a page per currency (USD keeps the source's own name)."""
    return source if currency == "USD" else f"{source}:{currency}"


def backfill(name: str, start: date, end: date, on_day: DayHook | None = None,
             recheck: bool = False, currency: str = "USD") -> RunSummary:
    """Fetch every day of ``start``..``end`` not answered yet (``recheck``: and the days recorded as no
    data); resumable after an interruption. ``currency``: which history page of a source with one per
    currency (NBKR); the other sources answer every currency of a day at once."""
    source = get_source(name)
    with new_session() as session:
        days = pending_backfill_days(session, track_name(name, currency), start, end, recheck)
    return run_source(source, "backfill", days, on_day, currency=currency)


def run_source(source: Source, job: str, days: list[date], on_day: DayHook | None = None,
               today: date | None = None, scheduled_at: datetime | None = None,
               currency: str = "USD") -> RunSummary:
    """Run ``days`` of one source under its lease, recorded as one RateRun; never raises but to stop.

    ``today`` (update only) is fetched on its own even from a range source: its daily file is the
    authoritative newest value. ``scheduled_at`` (the scheduler's trigger) is run once across processes.
    """
    summary = RunSummary(source.name, job)
    ttl = timedelta(seconds=current_app.config["LEASE_SECONDS"])
    with job_turn(get_engine(), f"rates:{source.name}", ttl, scheduled_at) as turn:
        if not turn.held:
            summary.skipped, summary.holder, summary.held_until = True, turn.holder or "", turn.held_until
            return summary
        _run_recorded(source, summary, days, turn.lease, on_day, today, scheduled_at, currency)
    return summary


def _run_recorded(source: Source, summary: RunSummary, days: list[date], lease: Lease,
                  on_day: DayHook | None, today: date | None, scheduled_at: datetime | None,
                  currency: str) -> None:
    """Close abandoned runs, then run ``days`` inside a new RateRun record (closed however it ends)."""
    with new_session() as session:
        close_abandoned_runs(session, source.name)
        run = RateRun(source=source.name, job=summary.job, started_at=utcnow(), rows_written=0,
                      scheduled_at=scheduled_at)
        session.add(run)
        bump_sources(session, run.started_at)
        session.commit()
        try:
            _run_days(session, source, days, summary, _with_checks(lease, on_day), today, currency)
        except LeaseLost as exc:
            session.rollback()
            summary.error = str(exc)
        except Exception as exc:  # a bug must not stop the other sources
            session.rollback()
            if outage_kind(exc) is not None:  # nor can they run: the caller says so in one line
                raise  # (the next run closes this one as abandoned)
            log.exception("rates %s: %s failed", summary.job, source.name)
            summary.error = f"internal error: {exc!r}"
        except BaseException:  # Ctrl-C or SIGTERM (feedsvc.core.stop): close the record as interrupted, go on
            session.rollback()
            run.finished_at, run.rows_written, run.error = utcnow(), summary.rows_written, "interrupted"
            bump_sources(session, run.finished_at)
            session.commit()
            raise
        run.finished_at, run.rows_written, run.error = utcnow(), summary.rows_written, summary.error
        bump_sources(session, run.finished_at)
        session.commit()


def _run_days(session: Session, source: Source, days: list[date], summary: RunSummary,
              on_day: DayHook, today: date | None, currency: str = "USD") -> None:
    config = current_app.config
    limits = configured_limits(config)
    timeout = http_timeout(config)
    errors: list[str] = []
    pause = request_pause(source)
    budget = config["RATES_JOB_BUDGET"]
    deadline = time.monotonic() + budget  # every request is cut at it too (sources/http.py)
    stored = 0  # days stored since the pairs' lines were last refreshed
    with make_http_session(config, deadline) as http:
        for number, batch in enumerate(plan_batches(source, days, today, currency)):
            check_stop()  # also before a first request, which may fail and end the job without a day
            wait = pause if number else 0.0
            if time.monotonic() + wait >= deadline:  # stop cleanly; the days left stay pending
                errors.append(_budget_spent(batch.days[0], budget))
                break
            if wait:
                wait_or_stop(wait)  # the upstream drops clients that ask too fast
            try:
                fetched, fetch_id = fetch_batch(session, source, batch, http, timeout)
            except DAY_FAILURES as exc:
                spent = isinstance(exc, DeadlineExceeded) and time.monotonic() >= deadline
                day = batch.days[0]
                errors.append(_budget_spent(day, budget) if spent else f"{day}: {_describe(exc)}")
                if isinstance(exc, requests.RequestException):
                    break  # the upstream is down or overloaded: stop, the next run resumes here
                for day in batch.days:  # handled, if not answered: the progress (and the lease) move on
                    on_day(day)
                continue  # one unusable payload must not hold back the days after it
            for day in batch.days:
                written = _store_day(session, source, day, fetched[day], limits, errors, fetch_id,
                                     track_name(source.name, currency))
                if written is not None:
                    summary.rows_written += written
                    summary.days_done += 1
                    stored += 1
                on_day(day)
            if stored >= LINES_EVERY:  # a backfill refreshes the pairs' lines a range at a time
                _refresh_lines(session)
                stored = 0
    if stored:
        _refresh_lines(session)
    if errors:
        summary.error = "; ".join(errors[:5]) + (f" (+{len(errors) - 5} more)" if len(errors) > 5 else "")
        log.warning("rates: %s: %s", source.name, summary.error)


def request_pause(source: Source) -> float:
    """Seconds between two requests to ``source``: its min_interval unless RATES_MIN_INTERVAL is set."""
    override = current_app.config.get("RATES_MIN_INTERVAL")
    return source.min_interval if override is None else override


def plan_batches(source: Source, days: list[date], today: date | None = None,
                 currency: str = "USD") -> list[Batch]:
    """Group ``days`` into requests: one day each, or range chunks for a range source (``today`` alone;
    ``currency``'s history page for a source with one page per currency)."""
    if not source.max_range_days:
        return [Batch([day]) for day in days]
    batches: list[Batch] = []
    for day in (day for day in days if day != today):
        if batches and (day - batches[-1].days[0]).days < source.max_range_days:
            batches[-1].days.append(day)
        else:
            batches.append(Batch([day], ranged=True, currency=currency))
    return batches + [Batch([today])] if today in days else batches


def fetch_batch(session: Session, source: Source, batch: Batch, http: requests.Session,
                timeout: tuple[float, float]) -> tuple[dict[date, Table | None], int | None]:
    """Download one batch, keep its payload (committed), parse it: each day's table (None for a day
    without data), and the id of the payload's fetch (None: nothing was kept, a 404 or the peg)."""
    try:
        if batch.ranged:
            payload = source.fetch_range(http, batch.days[0], batch.days[-1], timeout, batch.currency)
        else:
            payload = source.fetch(http, batch.days[0], timeout)
    except NoData:  # a 404: no data on any of the batch's days
        return dict.fromkeys(batch.days), None
    fetch_id = None
    if isinstance(payload, Answer):
        last_day = batch.days[-1] if batch.ranged else None
        fetch_id = keep_answer(session, source.name, batch.days[0], payload, utcnow(), last_day)
        session.commit()  # kept before parsing: an unusable answer is evidence too
    return read_batch(source, batch, payload), fetch_id


def read_batch(source: Source, batch: Batch, payload: bytes) -> dict[date, Table | None]:
    """Pure: each day's table in one batch's payload, None for a day without data."""
    if batch.ranged:
        table = source.parse_range(payload, batch.currency)
        by_day: dict[date, Table] = {}
        for obs in table.observations:
            by_day.setdefault(obs.date, Table([], [])).observations.append(obs)
        for refusal in table.refused:
            by_day.setdefault(refusal.date, Table([], [])).refused.append(refusal)
        return {day: by_day.get(day) for day in batch.days}
    day = batch.days[0]
    try:
        return {day: source.parse(payload, day)}
    except NoData:
        return {day: None}


def _refresh_lines(session: Session) -> None:
    """Refresh the pairs' stored lines of the days just stored, in a transaction of their own."""
    priority = tuple(current_app.config["RATES_SOURCES"])
    if refresh_pending(session, priority):
        bump_markers(session, [RATES_SCOPE], utcnow())  # the per-revision list of waiting days moves on
    session.commit()


def _store_day(session: Session, source: Source, day: date, table: Table | None, limits: Limits,
               errors: list[str], fetch_id: int | None = None, track: str | None = None) -> int | None:
    """Upsert one day (or mark it ``none``) and commit; rows written, or None (noted in ``errors``)."""
    now = utcnow()
    try:
        if table is None:
            mark_day(session, track or source.name, day, "none", now)
            written = 0
        else:
            written = store_observations(session, source.name, day, table, now, limits,
                                         fetch_id=fetch_id, track=track).written
    except SourceError as exc:
        session.rollback()
        errors.append(f"{day}: {_describe(exc)}")
        return None
    session.commit()
    return written


def _answered_days(session: Session, source: str, start: date, end: date) -> dict[date, RateSourceDay]:
    rows = session.scalars(
        select(RateSourceDay).where(
            RateSourceDay.source == source, RateSourceDay.date >= start, RateSourceDay.date <= end
        )
    )
    return {row.date: row for row in rows}


def _is_final(row: RateSourceDay | None, day: date) -> bool:
    if row is None:
        return False
    return row.status == "ok" or row.checked_at.date() >= day + NONE_IS_FINAL_AFTER


def _with_checks(lease: Lease, on_day: DayHook | None) -> DayHook:
    def hook(day: date) -> None:
        check_stop()  # SIGTERM seen by a scheduler's worker thread
        lease.check()  # the heartbeat thread renews it; this only learns whether it was lost
        if on_day is not None:
            on_day(day)

    return hook


def _budget_spent(day: date, budget: float) -> str:
    return f"{day}: budget of {budget:g} s spent; the next run resumes here"


def _describe(exc: Exception) -> str:
    # requests reports a read timeout that outlived its retries as a ConnectionError ("Read timed out").
    return f"{exc.__class__.__name__}: {exc}"
