"""``feedsvc rates update|backfill|review|accept|refuse``.

update and backfill exit 0 when every source succeeded, 1 when one failed, 75 (EX_TEMPFAIL) when none
failed but one was skipped (another process holds it), 143 on SIGTERM (the run closed as interrupted).
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import click
from flask.cli import with_appcontext

from feedsvc.core.db import new_session
from feedsvc.core.models import RateAnomaly
from feedsvc.core.params import parse_day
from feedsvc.core.stop import raise_on_sigterm
from feedsvc.rates.ingest import backfill_plan, jobs
from feedsvc.rates.ingest.guards import DecisionError, Verdict, open_anomalies
from feedsvc.rates.ingest.store import decide_by_hand
from feedsvc.rates.sources import all_source_classes

# sysexits.h: a temporary failure, try again later (a source busy in another process).
EX_TEMPFAIL = 75
rates_group = click.Group("rates", help="Exchange-rate updates and backfills.")


class Day(click.ParamType):
    """A YYYY-MM-DD date within the bounds every date of the service keeps (so no arithmetic overflows)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        """The date, or a usage error naming what is wrong."""
        if isinstance(value, date):
            return value
        try:
            return parse_day(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _report(summary: jobs.RunSummary) -> jobs.RunSummary:
    """Print one source's outcome."""
    if summary.skipped:
        until = f" until {summary.held_until:%Y-%m-%d %H:%M:%S} UTC" if summary.held_until else ""
        click.echo(f"{summary.source}: skipped, another process holds it: {summary.holder}{until} "
                   "(renewed while it works)", err=True)
    elif summary.error:
        click.echo(f"{summary.source}: failed after {summary.rows_written} rows: {summary.error}", err=True)
    else:
        click.echo(f"{summary.source}: {summary.rows_written} rows written, {summary.days_done} days checked")
    return summary


def _exit(summaries: list[jobs.RunSummary]) -> None:
    """Exit 1 if a source failed, else EX_TEMPFAIL (75) if one was busy elsewhere."""
    if any(summary.error for summary in summaries):
        raise SystemExit(1)
    if any(summary.skipped for summary in summaries):
        raise SystemExit(EX_TEMPFAIL)


@rates_group.command("update")
@click.option("--date", "today", type=Day(), default=None,
              help="Update as of this UTC day (default: today).")
@click.option("--source", "names", multiple=True, type=click.Choice(sorted(all_source_classes())),
              help="Only this enabled source (repeatable; default: every enabled source).")
@with_appcontext
def update_command(today: date | None, names: tuple[str, ...]) -> None:
    """Fetch the newest day of every enabled source and repair gaps of the last days."""
    disabled = [name for name in names if name not in jobs.enabled_sources()]
    if disabled:
        raise click.BadParameter(f"not enabled in FEEDSVC_RATES_SOURCES: {', '.join(disabled)}",
                                 param_hint="--source")
    raise_on_sigterm()
    _exit([_report(summary) for summary in jobs.update(names or None, today=today)])


@rates_group.command("backfill")
@click.option("--from", "first", type=Day(), default=None,
              help="First day (default: each source's documented history start; an earlier day is moved "
                   "to it, or refused with a single --source).")
@click.option("--to", "last", type=Day(), default=None, help="Last day (default: today, UTC).")
@click.option("--source", "names", multiple=True, type=click.Choice(sorted(all_source_classes())),
              help="Only this source (repeatable; default: every enabled source).")
@click.option("--plan", "plan_only", is_flag=True,
              help="Print each source's pending days, requests and estimated duration; fetch nothing.")
@with_appcontext
def backfill_command(first: date | None, last: date | None, names: tuple[str, ...], plan_only: bool) -> None:
    """Fetch each source's history (from its documented start, or --from, to --to) not fetched yet.

    Rerun the same command to resume after an interrupt; --plan first to see how long it takes.
    """
    last = last or jobs.utcnow().date()
    if first is not None and first > last:
        raise click.BadParameter("--from is after --to", param_hint="--from")
    spans = _spans(names or tuple(jobs.enabled_sources()), first, last, strict=len(names) == 1)
    if plan_only:
        _print_plan([backfill_plan.plan_backfill(span) for span in spans])
        return
    raise_on_sigterm()
    _exit([_backfill_one(span) for span in spans])


def _spans(names: Iterable[str], first: date | None, last: date, strict: bool) -> list[backfill_plan.Span]:
    """Each source's days to backfill, noting a --from moved to its history start (refused if ``strict``)."""
    spans = []
    for name in names:
        try:
            span = backfill_plan.source_span(name, first, last)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--from") from None
        if span.clamped_from and strict:
            # One source asked for by name: days it cannot have are more likely a typo than a wish.
            raise click.BadParameter(f"{name}'s history starts {span.start}: give that day or later, or "
                                     "leave --from out", param_hint="--from")
        if not span.days:
            click.echo(f"{name}: nothing to fetch, its history starts {span.start} (after {last})")
            continue
        if span.clamped_from:
            click.echo(f"{name}: its history starts {span.start}, so it starts there (not {first})")
        spans.append(span)
    return spans


def _print_plan(plans: list[backfill_plan.Plan]) -> None:
    """One line per source: its span, days pending, requests, pause and estimated duration."""
    click.echo(f"{'source':<13} {'from':<10}  {'to':<10}  {'days':>6}  {'pending':>7}  {'requests':>8}  "
               f"{'pause':>5}  estimate")
    for plan in plans:
        span = plan.span
        click.echo(f"{span.source:<13} {span.start}  {span.end}  {span.days:>6}  {plan.pending_days:>7}  "
                   f"{plan.requests:>8}  {plan.pause:>4g}s  {backfill_plan.format_duration(plan.seconds)}")
    total = backfill_plan.format_duration(sum(plan.seconds for plan in plans))
    assumed = backfill_plan.REQUEST_SECONDS
    click.echo(f"total: about {total}, one source after another (estimate: {assumed:g} s "
               "assumed per request, plus the pause between requests)")


def _backfill_one(span: backfill_plan.Span) -> jobs.RunSummary:
    """Backfill one source's span under a progress bar (days done of total, then position and ETA)."""
    plan = backfill_plan.plan_backfill(span)
    label = f"{span.source}: {span.days - plan.pending_days} of {span.days} days done"
    with click.progressbar(length=plan.pending_days, label=label, show_eta=True, show_pos=True,
                           file=sys.stderr) as bar:
        # on_day comes once per day, range chunks included, so the ETA follows the real pace.
        summary = jobs.backfill(span.source, span.start, span.end, on_day=lambda _day: bar.update(1))
    return _report(summary)


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no USER variable and no passwd entry (some containers)
        return "unknown"


def describe_anomaly(anomaly: RateAnomaly) -> str:
    """One line of ``rates review``: the value, why a guard looked at it, what became of it."""
    line = (f"{anomaly.source:<13} {anomaly.date} {anomaly.currency} {anomaly.value:>16f}  "
            f"{anomaly.reason:<8} {anomaly.status:<9}")
    if anomaly.reference_value is not None:
        when = f" {anomaly.reference_date}" if anomaly.reference_date else ""
        line += f" vs {anomaly.reference_source}{when} {anomaly.reference_value:f}"
    line += f": {anomaly.note or ''}"
    if anomaly.decided_at is not None:
        line += f" [{anomaly.decided_by}, {anomaly.decided_at:%Y-%m-%d %H:%M} UTC]"
    return line


@rates_group.command("review")
@click.option("--all", "everything", is_flag=True,
              help="Also values confirmed, released, accepted after a gap or decided by hand.")
@click.option("--source", type=click.Choice(sorted(all_source_classes())), help="Only this source.")
@with_appcontext
def review_command(everything: bool, source: str | None) -> None:
    """List refused and held-back values that wait for a decision (accept or refuse), newest first."""
    with new_session() as session:
        anomalies = open_anomalies(session, everything, source)
        for anomaly in anomalies:
            click.echo(describe_anomaly(anomaly))
    if not anomalies:
        click.echo("nothing to review" if not everything else "no value was ever refused or held back")


def _decide(verdict: Verdict, source: str, day: date, currency: str, who: str) -> None:
    with new_session() as session:
        try:
            anomaly = decide_by_hand(session, source, day, currency.upper(), verdict, who, jobs.utcnow())
        except DecisionError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        outcome = "served from now on" if verdict == "accept" else "never served"
        click.echo(f"{anomaly.status}: {source} {day} {anomaly.currency} {anomaly.value:f} ({outcome})")


def _decision_arguments(command: Callable[..., None]) -> Callable[..., None]:
    """SOURCE DAY CURRENCY and --by, the arguments of ``accept`` and ``refuse``."""
    for decorate in reversed((
        click.argument("source", type=click.Choice(sorted(all_source_classes()))),
        click.argument("day", type=Day()),
        click.argument("currency"),
        click.option("--by", "who", default=_login_name, show_default="your login name", help="Who decides."),
        with_appcontext,
    )):
        command = decorate(command)
    return command


@rates_group.command("accept")
@_decision_arguments
def accept_command(source: str, day: date, currency: str, who: str) -> None:
    """Serve a refused or held-back value of SOURCE on DAY for CURRENCY, recorded as decided by you."""
    _decide("accept", source, day, currency, who)


@rates_group.command("refuse")
@_decision_arguments
def refuse_command(source: str, day: date, currency: str, who: str) -> None:
    """Never serve SOURCE's value on DAY for CURRENCY (stored, or a refused jump), whatever the rules find."""
    _decide("refuse", source, day, currency, who)
