"""APScheduler wiring: the rate jobs, the go-live job (scheduled articles) and the upstreams' check.

Each enabled source runs ``rates.jobs.update`` on its own UTC crontab: ``SOURCE_CRONS[name]``
(``FEEDSVC_SOURCE_<NAME>_CRON``) if set, else the source's ``default_cron`` (a central bank's local
working days and publishing hours), else ``RATES_CRON``; sources sharing a crontab share a job.
``max_instances=1`` and ``coalesce=True`` keep one process from overlapping itself; the per-source
database leases keep two processes apart, and each trigger's scheduled time (the latest fire time of its
crontab, the same in every process) is claimed once per source (``job_triggers``), so two schedulers never
run one trigger twice. At start, a source whose newest successful update is older than its crontab's
previous fire time is updated at once, as that trigger (the one it missed).

One more job checks the article upstreams every minute (``UPSTREAM_CHECK_CRON``) and syncs those due,
each under its own lease and trigger (feedsvc/articles/upstreams/schedule.py): an upstream added or
removed with ``feedsvc upstreams`` is picked up without a restart.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask.logging import default_handler

from feedsvc.articles import claim_gone_live
from feedsvc.core.db import DRIVER_OUTAGES, describe_outage, get_engine, new_session, outage_kind
from feedsvc.core.stop import Terminated, request_stop, stop_on_signals, stop_requested
from feedsvc.core.websub import publish_articles
from feedsvc.rates.sources import build_sources, source_schedule

log = logging.getLogger(__name__)
LOOKBACK_LIMIT = timedelta(days=400)  # every crontab fires at least once a year
STOP_POLL_SECONDS = 0.2
UPSTREAM_CHECK_CRON = "* * * * *"


def run_update_job(app: Flask, names: tuple[str, ...], trigger: CronTrigger | None = None,
                   scheduled_at: datetime | None = None) -> None:
    """Update ``names`` inside an app context, as the trigger fired at ``scheduled_at`` (if any).

    Run by a ``trigger`` without ``scheduled_at``, the trigger's latest fire time is the one.
    """
    from feedsvc.rates.ingest import jobs

    if scheduled_at is None and trigger is not None:
        scheduled_at = last_fire_time(trigger, datetime.now(UTC))
    with app.app_context():
        try:
            summaries = jobs.update(names, scheduled_at=scheduled_at)
        except Terminated:  # the run is closed as interrupted; APScheduler would log a traceback
            log.info("rates update %s: stopped by a stop signal", ", ".join(names))
            return
        except DRIVER_OUTAGES as exc:
            if outage_kind(exc) is None:
                raise
            log.error("rates update %s: %s", ", ".join(names), describe_outage(outage_kind(exc), exc))
            return
    for summary in summaries:
        if summary.skipped:
            log.info("rates update %s: skipped, %s holds it", summary.source, summary.holder)
        else:
            log.info("rates update %s: %s rows, error=%s", summary.source, summary.rows_written,
                     summary.error)


def run_upstream_job(app: Flask, trigger: CronTrigger) -> None:
    """Sync the article upstreams that are due, as of the trigger's latest fire time."""
    from feedsvc.articles.upstreams.schedule import sync_due

    fired = last_fire_time(trigger, datetime.now(UTC))
    with app.app_context():
        try:
            summaries = sync_due(fired)
        except Terminated:  # the run is closed as interrupted
            log.info("upstreams: stopped by a stop signal")
            return
    for summary in summaries:
        if summary.outcome == "skipped":
            log.info("upstream %s: skipped, %s holds it", summary.name, summary.holder)
        else:
            log.info("upstream %s: %s, %d created, %d updated, %d deleted, error=%s", summary.name,
                     summary.outcome, summary.counts.created, summary.counts.updated, summary.counts.deleted,
                     summary.error)


def last_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest time ``trigger`` fired at or before ``now`` (within LOOKBACK_LIMIT), or None."""
    lookback = timedelta(seconds=1)
    while lookback <= LOOKBACK_LIMIT:
        fire = trigger.get_next_fire_time(None, now - lookback)
        if fire is not None and fire <= now:
            while (following := trigger.get_next_fire_time(fire, fire)) is not None and following <= now:
                fire = following
            return fire.astimezone(UTC)
        lookback *= 2
    return None


def job_trigger(cron: str, app: Flask) -> CronTrigger:
    """The UTC trigger of ``cron``, or every FEEDSVC_SCHEDULER_SECONDS seconds when that is set (tests)."""
    seconds = app.config.get("SCHEDULER_SECONDS")
    if seconds:
        return CronTrigger(second=f"*/{seconds}", timezone="UTC")
    return CronTrigger.from_crontab(cron, timezone="UTC")


def job_groups(app: Flask) -> dict[str, tuple[str, ...]]:
    """The enabled sources grouped by crontab."""
    by_cron: dict[str, list[str]] = {}
    for name in build_sources(app.config):
        by_cron.setdefault(source_schedule(name, app.config), []).append(name)
    return {cron: tuple(names) for cron, names in by_cron.items()}


def catch_up(app: Flask) -> None:
    """Update at once the sources whose newest successful update is older than their last trigger."""
    from feedsvc.rates.ingest.runs import last_success

    now = datetime.now(UTC)
    for cron, names in job_groups(app).items():
        missed = last_fire_time(job_trigger(cron, app), now)
        if stop_requested():  # a group stopped by a stop signal: the next would open a run only to close it
            return
        if missed is None:
            continue
        with app.app_context(), new_session() as session:
            # A run of the trigger at T starts at T (whole seconds): only an older success is stale.
            stale = tuple(name for name in names
                          if (success := last_success(session, name)) is None or success < missed)
        if stale:
            log.info("rates update %s: no success since the trigger at %s; updating now", ", ".join(stale),
                     missed.isoformat())
            run_update_job(app, stale, scheduled_at=missed)


def schedule_jobs(app: Flask, scheduler: BaseScheduler) -> None:
    """Add the rate update jobs (one per cron expression), the upstream check and the start's catch-up."""
    for cron, names in job_groups(app).items():
        trigger = job_trigger(cron, app)
        scheduler.add_job(
            run_update_job,
            trigger,
            args=(app, names, trigger),  # the job names its run by the trigger's latest fire time
            id=f"rates-update:{','.join(names)}",
            name=f"rates update ({', '.join(names)})",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=600,
            replace_existing=True,
        )
    upstream_trigger = job_trigger(UPSTREAM_CHECK_CRON, app)
    scheduler.add_job(run_upstream_job, upstream_trigger, args=(app, upstream_trigger), id="upstreams",
                      name="article upstreams due", max_instances=1, coalesce=True, misfire_grace_time=60,
                      replace_existing=True)
    if app.config.get("RATES_CATCH_UP"):
        scheduler.add_job(catch_up, args=(app,), id="rates-catch-up", name="rates catch-up at start",
                          misfire_grace_time=None)


def run_go_live_job(app: Flask) -> None:
    """Ping the WebSub hub for the feeds of each article that went live and no process announced yet."""
    with app.app_context(), new_session() as session:
        articles = claim_gone_live(session, get_engine(), datetime.now(UTC))
        publish_articles(app, articles)
    if articles:
        log.info("go-live: announced %d article(s) to the WebSub hub", len(articles))


def schedule_go_live(app: Flask, scheduler: BaseScheduler) -> None:
    """With a WebSub hub, check each minute for articles that went live (no write announces them)."""
    if app.config.get("WEBSUB_HUB"):
        scheduler.add_job(run_go_live_job, job_trigger("* * * * *", app), args=(app,), id="articles-go-live",
                          name="articles go-live (WebSub)", max_instances=1, coalesce=True,
                          misfire_grace_time=60, replace_existing=True)


def make_scheduler(app: Flask, scheduler_class: type[BaseScheduler]) -> BaseScheduler:
    """A UTC scheduler of ``scheduler_class`` with the rate jobs added (not started)."""
    scheduler = scheduler_class(timezone="UTC", job_defaults={"max_instances": 1, "coalesce": True})
    schedule_jobs(app, scheduler)
    schedule_go_live(app, scheduler)
    return scheduler


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    """Start the in-process scheduler for ``feedsvc run``; the caller shuts it down."""
    scheduler = make_scheduler(app, BackgroundScheduler)
    scheduler.start()
    return scheduler  # type: ignore[return-value]


def log_to_stderr() -> None:
    """INFO and above on stderr with a timestamp (journald keeps it), unless logging is set up."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # The app logger "feedsvc" is the parent of ours: its Flask handler would write each line twice.
        current_app.logger.removeHandler(default_handler)


def stop_scheduler(scheduler: BaseScheduler) -> None:
    """Ask running jobs to stop at their next day (closed as interrupted), and wait for them."""
    request_stop()
    if scheduler.running:
        scheduler.shutdown(wait=True)


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the rate jobs on their schedule, in the foreground (UTC cron; SIGTERM or Ctrl-C stops)."""
    stop_on_signals()  # before anything is printed: a supervisor may stop us as soon as it reads
    log_to_stderr()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = make_scheduler(app, BackgroundScheduler)
    for job in scheduler.get_jobs():
        if job.id != "rates-catch-up":
            click.echo(f"scheduled: {job.name}, cron {job.trigger}")
    scheduler.start()
    try:
        while not stop_requested():
            time.sleep(STOP_POLL_SECONDS)
    finally:
        stop_scheduler(scheduler)
    click.echo("scheduler stopped")
