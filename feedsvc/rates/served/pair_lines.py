"""Every published pair's day rows as /rates.csv shows them, materialised on write in ``rate_lines``.

Scope '' holds, with the configured priority, every pair an enabled official source publishes, either
way round, except a bank's own currency against USD (``rate_served``'s lines); scope NAME holds every
line source NAME publishes and its inverse, read from its own table alone (``source=NAME``). Rows are
the general path's own (served/pairs.py: the best path of each day, then the change and the weekend
repeat rule), seeded with the stored row before the first day written instead of a lookback, so a
stored line is what the general path shows, byte for byte (computing the rows: served/line_rows.py;
this module decides which days and pairs, and when).

A pair's value on a day depends on that day's lines alone; the next rows' change and repeat depend on it
for at most REPEAT_DAYS. So a refresh of day D resolves D again and re-numbers the stored rows of the
REPEAT_DAYS after it from their own columns. A pair seen for the first time is computed over the whole
stored range (crosses may give it earlier days). ``rate_served_priority`` row 3 remembers the version,
format and priority the lines were computed with; ``ensure_lines`` computes them whole when it differs.

An ingest does not refresh them in its transaction: it notes its days in ``rate_line_days``
(``mark_lines``), and the job refreshes them right after its commit (``refresh_pending``), a range at a
time in a backfill. Resolving ~480 pairs again for each of a day's six bank tables cost the ingest
seven times its own time (bench/README.md, (e)). Until the refresh, reads of a waiting day and of the
REPEAT_DAYS after it take the general path, so a reader never sees a stale line, and a crash between
the two leaves the days noted for the next job or ``feedsvc db upgrade``. A batch (the demo) and a
decision by hand refresh in their own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateLineDay, RateLinePair, RateObservation, RateServedPriority
from feedsvc.rates.exact import format_version
from feedsvc.rates.pair import Pair
from feedsvc.rates.served.line_rows import DEFAULT, LINES, write_rows
from feedsvc.rates.served.pairs import REPEAT_DAYS, not_held_back, official_sources, served_pair

PAIRS = RateLinePair.__table__
DAYS = RateLineDay.__table__
LINES_ROW = 3  # rate_served_priority's row of what rate_lines were computed with
LOCK_ROW = 1  # and its row of the priority, which every writer of the served tables locks first
LINES_VERSION = "1"  # what is materialised and how: a change here computes the lines again


def lines_version(priority: tuple[str, ...]) -> str:
    """What the stored lines depend on: this module's version, the format, the priority."""
    return f"{LINES_VERSION}|{format_version()}|{','.join(priority)}"


def scopes(priority: tuple[str, ...]) -> tuple[str, ...]:
    """The materialised scopes: the default path, and each enabled source's own table."""
    return (DEFAULT, *priority)


def _sources(scope: str, priority: tuple[str, ...]) -> tuple[str, ...]:
    """The sources whose lines a scope's pairs are: the enabled official ones, or the scope's own."""
    return tuple(name for name in priority if name in official_sources()) if scope == DEFAULT else (scope,)


def _pairs_of(lines: Iterable[tuple[str, str]], scope: str) -> set[Pair]:
    """The pairs of published ``lines`` (currency, quote), both ways round, as ``scope`` keeps them."""
    pairs = {pair for currency, quote in lines for pair in (Pair(currency, quote), Pair(quote, currency))}
    return {pair for pair in pairs if scope != DEFAULT or not served_pair(pair)}


def ensure_lines(session: Session, priority: tuple[str, ...]) -> bool:
    """Compute every scope's lines whole unless they were computed with this version, format and
    priority; True if they were."""
    row = session.get(RateServedPriority, LINES_ROW, populate_existing=True)
    if row is not None and row.sources == lines_version(priority):
        return False
    rebuild_lines(session, priority)
    return True


def rebuild_lines(session: Session, priority: tuple[str, ...]) -> None:
    """Compute every scope's lines over the whole stored range, and remember what with."""
    session.flush()
    session.execute(delete(LINES))
    session.execute(delete(PAIRS))
    session.execute(delete(DAYS))
    for scope in scopes(priority):
        sources = _sources(scope, priority)
        obs = RateObservation
        lines = session.execute(select(obs.currency, obs.quote).where(obs.source.in_(sources)).distinct())
        _add_pairs(session, scope, priority, _pairs_of(lines, scope))
    row = session.get(RateServedPriority, LINES_ROW)
    if row is None:
        session.add(RateServedPriority(id=LINES_ROW, sources=lines_version(priority)))
    else:
        row.sources = lines_version(priority)
    session.flush()


def _scope_days(priority: tuple[str, ...], written: dict[str, set[date]]) -> set[tuple[str, date, str]]:
    """(scope, date, source) of what each written (source -> days) touches: the default scope and its own."""
    return {(scope, day, source) for source, days in written.items() if source in priority
            for day in days for scope in (DEFAULT, source)}


def mark_lines(session: Session, priority: tuple[str, ...], written: dict[str, set[date]]) -> None:
    """Note the days written (source -> days) as waiting for a refresh, in the write's transaction."""
    wanted = _scope_days(priority, written)
    if not wanted:
        return
    stored = set(session.execute(select(DAYS.c.scope, DAYS.c.date, DAYS.c.source).where(
        DAYS.c.date.in_(sorted({day for _scope, day, _source in wanted})))).all())
    new = sorted(wanted - stored)
    if new:
        session.execute(insert(DAYS), [{"scope": scope, "date": day, "source": source}
                                       for scope, day, source in new])


def refresh_pending(session: Session, priority: tuple[str, ...]) -> int:
    """Refresh every scope's days waiting since a write (``mark_lines``) and forget them: the count."""
    # As every writer of the served tables: concurrent jobs take turns on PostgreSQL (served/table.py).
    session.get(RateServedPriority, LOCK_ROW, with_for_update=True, populate_existing=True)
    pending = session.execute(select(DAYS.c.scope, DAYS.c.date, DAYS.c.source)).all()
    if not pending:
        return 0
    written: dict[str, set[date]] = {}
    for scope, day, source in pending:
        if scope == source:  # the default scope's rows name the same days again
            written.setdefault(source, set()).add(day)
    session.execute(delete(DAYS))
    refresh_lines(session, priority, written)
    return len(pending)


def pending_days(session: Session, scope: str) -> list[date]:
    """The days of ``scope`` whose stored lines wait for a refresh."""
    return list(session.scalars(select(DAYS.c.date).where(DAYS.c.scope == scope).distinct()))


def refresh_lines(session: Session, priority: tuple[str, ...], written: dict[str, set[date]]) -> None:
    """Recompute the lines of each scope on the days written to its sources (``written``: source -> days),
    and the rows after them whose change or repeat depends on them."""
    session.flush()  # the write's pending rows must be visible to the queries below
    days: dict[str, set[date]] = {}
    for scope, day, _source in _scope_days(priority, written):
        days.setdefault(scope, set()).add(day)
    for scope, when in sorted(days.items()):
        known = set(_stored_pairs(session, scope))
        obs = RateObservation
        lines = session.execute(select(obs.currency, obs.quote).distinct().where(
            obs.source.in_(_sources(scope, priority)), obs.date.in_(sorted(when))))
        new = _pairs_of(lines, scope) - known
        for first, last in _runs(sorted(when)):
            if known and first == last and scope == DEFAULT:  # a day's write: the pairs it can change
                sources = {source for source, on in written.items() if first in on}
                affected = _affected(session, priority, sources, first, known)
                write_rows(session, scope, priority, _ordered(affected), first, last)
            elif known:
                write_rows(session, scope, priority, _ordered(known), first, last)
        if new:
            _add_pairs(session, scope, priority, new)


def _runs(days: list[date]) -> Iterator[tuple[date, date]]:
    """Sorted ``days`` as [first, last] spans; days closer than REPEAT_DAYS share one (its rows depend on
    each other anyway)."""
    first = last = days[0]
    for day in days[1:]:
        if (day - last).days > REPEAT_DAYS:
            yield first, last
            first = day
        last = day
    yield first, last


def _affected(session: Session, priority: tuple[str, ...], sources: set[str], day: date,
              known: set[Pair]) -> set[Pair]:
    """The pairs of the default scope whose value on ``day`` a write of ``sources``' lines can change.

    A pair's value is its first direct line by priority, else a cross of official lines naming its
    currencies, else the served values of its currencies (which change only with a USD line, itself a
    line naming that currency). So a write changes the pairs it publishes, and the pairs naming one of
    its codes that no enabled source publishes directly that day; the others keep their direct line.
    """
    obs = RateObservation
    written = session.execute(select(obs.currency, obs.quote).distinct().where(
        obs.source.in_(sorted(sources)), obs.date == day)).all()
    own = _pairs_of(written, DEFAULT)
    codes = {code for line in written for code in line}
    direct = session.execute(select(obs.currency, obs.quote).distinct().where(
        obs.source.in_(priority), obs.date == day, not_held_back(obs))).all()
    published = {frozenset(line) for line in direct}
    return {pair for pair in known if pair in own or (
        (pair.base in codes or pair.quote in codes) and frozenset((pair.base, pair.quote)) not in published)}


def _stored_pairs(session: Session, scope: str) -> list[Pair]:
    """The pairs ``rate_lines`` holds in ``scope``."""
    rows = session.execute(select(PAIRS.c.base, PAIRS.c.quote).where(PAIRS.c.scope == scope))
    return [Pair(base, quote) for base, quote in rows]


def _ordered(pairs: Iterable[Pair]) -> tuple[Pair, ...]:
    return tuple(sorted(pairs, key=str))


def _add_pairs(session: Session, scope: str, priority: tuple[str, ...], pairs: set[Pair]) -> None:
    """Start keeping ``pairs`` in ``scope``: their rows over every date with an observation."""
    if not pairs:
        return
    session.execute(insert(PAIRS), [{"scope": scope, "base": p.base, "quote": p.quote} for p in pairs])
    obs = RateObservation
    first, last = session.execute(select(func.min(obs.date), func.max(obs.date))).one()
    if first is not None:
        write_rows(session, scope, priority, _ordered(pairs), first, last)
