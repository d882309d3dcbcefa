"""Deep history: the days a backfill covers per source (from its documented start) and what it costs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from feedsvc.core.db import new_session
from feedsvc.rates.ingest import jobs
from feedsvc.rates.sources import all_source_classes

# An assumed response time per upstream request, for the estimate only: the banks answer a day's file
# in well under a second from nearby; a slow route or NBKR's year-long history page can take longer.
REQUEST_SECONDS = 0.5


@dataclass(frozen=True)
class Span:
    """The days one source's backfill covers; ``clamped_from``: a --from moved forward to ``start``."""

    source: str
    start: date
    end: date
    clamped_from: date | None = None

    @property
    def days(self) -> int:
        """How many days the span holds (0 when it ends before it starts)."""
        return max((self.end - self.start).days + 1, 0)


@dataclass(frozen=True)
class Plan:
    """What a backfill of one span will do: days still pending, requests, pause between requests."""

    span: Span
    pending_days: int
    requests: int
    pause: float

    @property
    def seconds(self) -> float:
        """Estimated seconds: each request's assumed response time and the pauses (database time aside)."""
        return self.requests * REQUEST_SECONDS + max(self.requests - 1, 0) * self.pause


def history_start(name: str) -> date | None:
    """Source ``name``'s documented first day, or None."""
    return all_source_classes()[name].history_start


def source_span(name: str, first: date | None, last: date) -> Span:
    """``first``..``last`` for source ``name``: ``first`` defaults to, and never precedes, its history start.

    Raises ValueError when ``first`` is None and the source documents no start.
    """
    start = history_start(name)
    if first is None:
        if start is None:
            raise ValueError(f"{name} documents no history start: give --from")
        return Span(name, start, last)
    if start is not None and first < start:
        return Span(name, start, last, clamped_from=first)
    return Span(name, first, last)


def plan_backfill(span: Span) -> Plan:
    """The plan of ``span``'s backfill: its pending days grouped into requests as the job will."""
    source = jobs.get_source(span.source)
    days: list[date] = []
    if span.days:
        with new_session() as session:
            days = jobs.pending_backfill_days(session, span.source, span.start, span.end)
    requests = 0 if source.constant else len(jobs.plan_batches(source, days))  # peg asks no upstream
    return Plan(span, len(days), requests, jobs.request_pause(source))


def format_duration(seconds: float) -> str:
    """A duration for people: ``3 h 05 min``, ``4 min 10 s``, ``12 s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02} min"
    if minutes:
        return f"{minutes} min {secs:02} s"
    return f"{secs} s"
