"""APScheduler wiring: the jobs call feedsvc.rates.jobs only.

Each enabled source runs ``rates.jobs.update`` on its own UTC crontab: ``SOURCE_CRONS[name]``
(``FEEDSVC_SOURCE_<NAME>_CRON``) if set, else the source's ``default_cron`` (a central bank's local
working days and publishing hours), else ``RATES_CRON``; sources sharing a crontab share a job.
``max_instances=1`` and ``coalesce=True`` keep one process from overlapping itself;
the per-source database leases keep two processes apart.
"""

from __future__ import annotations

import logging

import click
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask, current_app
from flask.cli import with_appcontext

from feedsvc.rates.sources import build_sources, source_schedule

log = logging.getLogger(__name__)


def run_update_job(app: Flask, names: tuple[str, ...]) -> None:
    """The scheduled job: update ``names`` inside an app context."""
    from feedsvc.rates import jobs

    with app.app_context():
        for summary in jobs.update(names):
            log.info("rates update %s: %s rows, error=%s, skipped=%s", summary.source,
                     summary.rows_written, summary.error, summary.skipped)


def schedule_jobs(app: Flask, scheduler: BaseScheduler) -> None:
    """Add the rate update jobs to ``scheduler``, grouped by cron expression."""
    config = app.config
    by_cron: dict[str, list[str]] = {}
    for name in build_sources(config):
        by_cron.setdefault(source_schedule(name, config), []).append(name)
    for cron, names in by_cron.items():
        scheduler.add_job(
            run_update_job,
            CronTrigger.from_crontab(cron, timezone="UTC"),
            args=(app, tuple(names)),
            id=f"rates-update:{','.join(names)}",
            name=f"rates update ({', '.join(names)})",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=600,
            replace_existing=True,
        )


def make_scheduler(app: Flask, scheduler_class: type[BaseScheduler]) -> BaseScheduler:
    """A UTC scheduler of ``scheduler_class`` with the rate jobs added (not started)."""
    scheduler = scheduler_class(timezone="UTC", job_defaults={"max_instances": 1, "coalesce": True})
    schedule_jobs(app, scheduler)
    return scheduler


def start_background_scheduler(app: Flask) -> BackgroundScheduler:
    """Start the in-process scheduler for ``feedsvc run``; the caller shuts it down."""
    scheduler = make_scheduler(app, BackgroundScheduler)
    scheduler.start()
    return scheduler  # type: ignore[return-value]


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the rate jobs on their schedule, in the foreground (UTC cron; Ctrl-C stops)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = make_scheduler(app, BlockingScheduler)
    try:
        for job in scheduler.get_jobs():
            click.echo(f"scheduled: {job.name}, cron {job.trigger}")
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        if scheduler.running:
            scheduler.shutdown(wait=False)
        click.echo("scheduler stopped")
