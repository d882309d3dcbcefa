"""Validate parsed tables and upsert them line by line on their natural key (source, date, currency, quote).

Re-running writes nothing: a line whose value and nominal are unchanged is left alone. An upstream
correction (same key, a different value) **updates** the row and its ``fetched_at`` — we serve what the
source publishes now, as frankfurter does, rather than keep a value upstream has withdrawn (a silent
``DO NOTHING`` would freeze the first answer forever). Every new value passes the guards first (the jump
rule, its confirmation and the cross-check: guards.py, crosscheck.py). A line the parser could not read
is recorded as ``malformed`` for its currency alone; the rest of the table is stored.

Each write recomputes the served value of every (date, currency) whose USD line it touched, upsert,
confirmation, hold-back and release alike, in the same transaction (served/table.py); and notes the days
whose lines it changed as waiting for their pairs' stored lines (served/pair_lines.py), which the job
refreshes right after it commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import RATES_SCOPE
from feedsvc.core.models import RateAnomaly, RateObservation, RateSourceDay
from feedsvc.rates.constants import AUTO, MALFORMED, RELEASED, USD
from feedsvc.rates.ingest.crosscheck import checked_pairs, crosscheck
from feedsvc.rates.ingest.decisions import Verdict, decide, name_line
from feedsvc.rates.ingest.guards import (
    JumpGuard,
    Limits,
    Line,
    Stored,
    Touched,
    confirm_by_others,
    line_of,
    record_refusal,
)
from feedsvc.rates.ingest.runs import bump_sources
from feedsvc.rates.served import (
    default_priority,
    ensure_served,
    mark_lines,
    recompute_days,
    recompute_range,
    refresh_lines,
)
from feedsvc.rates.served.spans import Kind, count_lines
from feedsvc.rates.sources.base import Observation, SourceError, Table

BATCH = "feedsvc.rates.batch"  # session.info: (day, currency) whose served values wait for the batch's end
BATCH_LINES = "feedsvc.rates.batch_lines"  # and (source, day) whose pairs' stored lines wait for it
__all__ = ["Limits", "StoreResult", "batch", "decide_by_hand", "mark_day", "store_observations",
           "validate_observations"]


@dataclass(frozen=True)
class StoreResult:
    """What one day's upsert did: lines written, lines refused (by a guard or unreadable)."""

    written: int
    refused: int


def validate_observations(observations: Iterable[Observation], day: date) -> None:
    """Raise SourceError unless every line is dated ``day`` (or, for a table valid several days, holds on
    ``day``) with a positive, finite value and nominal."""
    for obs in observations:
        if not _holds_on(obs, day):
            raise SourceError(f"payload is dated {obs.date}, {day} was asked for")
        if not obs.value.is_finite() or obs.value <= 0 or obs.nominal <= 0:
            raise SourceError(f"{obs.currency}: {obs.value} per {obs.nominal} is not positive and finite")


def _holds_on(obs: Observation, day: date) -> bool:
    if obs.valid_days is None:
        return obs.date == day
    return obs.date <= day < obs.date + timedelta(days=obs.valid_days)


def store_observations(
    session: Session, source: str, day: date, table: Table | list[Observation], now: datetime,
    limits: Limits | None = None, priority: tuple[str, ...] | None = None, fetch_id: int | None = None,
    track: str | None = None,
) -> StoreResult:
    """Validate and upsert one day's table of one source; record its unreadable lines; recompute the served
    values it touched; mark the day ``ok``.

    ``priority`` is the enabled sources in order (default: the app's, see ``served.default_priority``);
    ``fetch_id`` the kept payload the table was read from (ingest/archive.py), named by each line written;
    ``track`` the name the day is marked under (jobs.track_name; default ``source``).
    """
    table = table if isinstance(table, Table) else Table(list(table))
    validate_observations(table.observations, day)
    limits = limits or Limits()
    priority = default_priority() if priority is None else priority
    ensure_served(session, priority, now)
    for refusal in table.refused:
        record_refusal(session, source, refusal, now)
    by_date: dict[date, list[Observation]] = defaultdict(list)
    for obs in table.observations:
        by_date[obs.date].append(obs)
    written = refused = 0
    touched: Touched = set()
    days: set[tuple[str, date]] = set()  # (source, date) whose servable lines changed
    for when, observations in sorted(by_date.items()):
        count, stopped, changed, lines = _store_date(session, source, when, observations, now, limits,
                                                     fetch_id)
        written, refused, touched, days = written + count, refused + stopped, touched | changed, days | lines
    if BATCH in session.info:
        session.info[BATCH].update(touched)
        session.info[BATCH_LINES].update(days)
    else:
        # Same transaction: a reader never sees a new observation or hold-back without its served value.
        for (when,), names in _grouped(touched).items():
            recompute_days(session, priority, when, names)
        # The pairs' stored lines of these days are refreshed by the job right after the commit
        # (refresh_pending); until then reads of them take the general path.
        mark_lines(session, priority, _by_source(days))
    if (touched or written) and BATCH not in session.info:
        # Every stored line is read (/rates/currencies.json, other pairs): a new line is a new revision.
        bump_markers(session, [RATES_SCOPE], now)
    mark_day(session, track or source, day, "ok", now)
    session.flush()
    return StoreResult(written, refused + len(table.refused))


def _store_date(session: Session, source: str, day: date, observations: list[Observation], now: datetime,
                limits: Limits, fetch_id: int | None) -> tuple[int, int, Touched, set[tuple[str, date]]]:
    """Upsert the lines of one date and run the guards: (written, refused, served (date, currency), and
    the (source, date) whose servable lines changed)."""
    written, refused, confirmed = _upsert(session, source, day, observations, now, limits, fetch_id)
    confirmed |= confirm_by_others(session, source, day, written, now, limits)
    lines = sorted({line_of(obs) for obs in observations})
    touched: Touched = {(day, quote) for currency, quote in written if currency == USD}
    touched |= {(when, quote) for _source, when, (currency, quote) in confirmed if currency == USD}
    checked: dict[tuple[str, date], set[Line]] = defaultdict(set)
    for name, when, line in {(source, day, line) for line in lines} | confirmed:
        checked[(name, when)].add(line)
    days = {(name, when) for name, when, _line in confirmed} | ({(source, day)} if written else set())
    for (name, when), named in sorted(checked.items()):
        held = crosscheck(session, name, when, sorted(named), now, limits)
        # A hold or release of an official USD line: the officials checked against ``name`` on that day.
        days |= {(official, on) for on, _currency in held for official in {name, *checked_pairs(name)}}
        touched |= held
    _release_malformed(session, source, day, set(written), now)
    return len(written), refused, touched, days


def _by_source(days: Iterable[tuple[str, date]]) -> dict[str, set[date]]:
    """(source, date) pairs as each source's dates."""
    grouped: dict[str, set[date]] = defaultdict(set)
    for name, when in days:
        grouped[name].add(when)
    return grouped


def _grouped(keys: Iterable[tuple]) -> dict[tuple, list[str]]:
    """Keys ending in a currency, grouped by the rest (e.g. (date,)): sorted currencies each."""
    grouped: dict[tuple, list[str]] = defaultdict(list)
    for *rest, currency in sorted(keys):
        grouped[tuple(rest)].append(currency)
    return grouped


@contextmanager
def batch(session: Session, now: datetime, priority: tuple[str, ...] | None = None) -> Iterator[None]:
    """Store many days in one transaction: served values and the rates marker are updated once, at the end.

    For bulk loads (the demo): per day, the recompute and the marker bump cost more than the upsert.
    """
    touched: Touched = set()
    lines: set[tuple[str, date]] = set()
    session.info[BATCH], session.info[BATCH_LINES] = touched, lines
    try:
        yield
    finally:
        session.info.pop(BATCH, None)
        session.info.pop(BATCH_LINES, None)
    priority = default_priority() if priority is None else priority
    if touched:
        days = [day for day, _currency in touched]
        currencies = {currency for _day, currency in touched}
        recompute_range(session, priority, min(days), max(days), currencies)
    if lines:
        refresh_lines(session, priority, _by_source(lines))  # each scope's range at once, not per day
    if touched or lines:
        bump_markers(session, [RATES_SCOPE], now)


def _upsert(session: Session, source: str, day: date, observations: list[Observation], now: datetime,
            limits: Limits, fetch_id: int | None) -> tuple[dict[Line, Decimal], int, Stored]:
    """Insert new lines and corrections the guards admit: (values per unit written, refused, confirmed)."""
    existing = {
        line_of(row): row
        for row in session.scalars(
            select(RateObservation).where(RateObservation.source == source, RateObservation.date == day)
        )
    }
    changed = [obs for obs in observations if line_of(obs) not in existing
               or (existing[line_of(obs)].value, existing[line_of(obs)].nominal) != (obs.value, obs.nominal)]
    guard = JumpGuard(session, source, day, [line_of(obs) for obs in changed], now, limits)
    written: dict[Line, Decimal] = {}
    new_rows: list[dict] = []
    renamed: list[tuple[Kind, Kind]] = []  # a correction of the nominal: the day moves between kinds
    refused = 0
    for obs in changed:
        if not guard.admit(obs):
            refused += 1
            continue
        row = existing.get(line_of(obs))
        if row is None:
            new_rows.append({"source": source, "date": day, "currency": obs.currency, "quote": obs.quote,
                             "nominal": obs.nominal, "value": obs.value, "valid_days": obs.valid_days,
                             "fetched_at": now, "fetch_id": fetch_id})
        else:  # an upstream correction: see the module docstring
            if row.nominal != obs.nominal:
                renamed.append(((row.currency, row.quote, row.nominal), (*line_of(obs), obs.nominal)))
            row.value, row.nominal, row.valid_days = obs.value, obs.nominal, obs.valid_days
            row.fetched_at, row.fetch_id = now, fetch_id
        written[line_of(obs)] = obs.per_unit
    if new_rows:  # one statement for a whole table: the ORM's unit of work costs more than the rows
        session.execute(insert(RateObservation), new_rows)
    added = [(row["currency"], row["quote"], row["nominal"]) for row in new_rows]
    count_lines(session, source, day, added + [new for _old, new in renamed], [old for old, _new in renamed])
    return written, refused, guard.confirmed


def _release_malformed(session: Session, source: str, day: date, lines: set[Line], now: datetime) -> None:
    """A line read well after all (a later fetch) releases its ``malformed`` record of the same day."""
    if not lines:
        return
    for anomaly in session.scalars(select(RateAnomaly).where(
            RateAnomaly.source == source, RateAnomaly.date == day, RateAnomaly.reason == MALFORMED,
            RateAnomaly.status != RELEASED)):
        if line_of(anomaly) in lines:
            anomaly.status, anomaly.note = RELEASED, f"read well later; was: {anomaly.note}"
            anomaly.decided_by, anomaly.decided_at = AUTO, now


def mark_day(session: Session, source: str, day: date, status: str, now: datetime) -> None:
    """Record what ``source`` answered for ``day``: ``ok`` or ``none`` (no data, a 404)."""
    row = session.get(RateSourceDay, (source, day))
    if row is None:
        session.add(RateSourceDay(source=source, date=day, status=status, checked_at=now))
    else:
        row.status, row.checked_at = status, now
    bump_sources(session, now)  # what the source answered is in /rates/sources.json (coverage, refusals)


def decide_by_hand(session: Session, source: str, day: date, line_name: str, verdict: Verdict, who: str,
                   now: datetime, priority: tuple[str, ...] | None = None) -> RateAnomaly:
    """Accept or refuse one value by hand (guards.decide) and recompute its served value; not committed.

    ``line_name``: ``EUR/KGS``, or one code (guards.name_line).
    """
    line = name_line(session, source, day, line_name)
    anomaly = decide(session, source, day, line, verdict, who, now)
    priority = default_priority() if priority is None else priority
    if line[0] == USD:
        recompute_days(session, priority, day, [line[1]])
    refresh_lines(session, priority, {source: {day}})
    bump_markers(session, [RATES_SCOPE], now)
    return anomaly


