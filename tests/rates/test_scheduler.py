"""APScheduler wiring: cron jobs per source group, no overlap, UTC; the foreground command."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import JobTrigger, RateObservation, RateRun
from feedsvc.scheduler import (
    catch_up,
    last_fire_time,
    make_scheduler,
    run_update_job,
    start_background_scheduler,
)

FEEDSVC = str(Path(sys.executable).parent / "feedsvc")


def test_one_job_per_cron_with_no_overlap(app_factory) -> None:
    app = app_factory(RATES_SOURCES=("currency-api", "peg"), RATES_CRON="7 * * * *",
                      SOURCE_CRONS={"peg": "0 3 * * *", "nbk": "0 12 * * *"})
    scheduler = make_scheduler(app, BackgroundScheduler)
    jobs = {job.args[1]: job for job in scheduler.get_jobs() if job.id.startswith("rates-update:")}
    assert set(jobs) == {("currency-api",), ("peg",)}  # nbk is not enabled: no job
    for job in jobs.values():
        assert (job.max_instances, job.coalesce) == (1, True)
        assert str(job.trigger.timezone) == "UTC"
    expected = CronTrigger.from_crontab("7 * * * *", timezone="UTC")
    assert str(jobs[("currency-api",)].trigger) == str(expected)
    assert "hour='3'" in str(jobs[("peg",)].trigger)


def test_the_background_scheduler_starts_and_stops(app: Flask) -> None:
    scheduler = start_background_scheduler(app)
    try:
        assert scheduler.running
        assert scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)


def test_the_scheduled_job_updates_and_records_a_run(app_factory) -> None:
    app = app_factory(RATES_SOURCES=("peg",), RATES_GAP_DAYS=2)
    run_update_job(app, ("peg",))
    with Session(app.extensions["feedsvc.engine"]) as session:
        assert len(session.scalars(select(RateObservation)).all()) == 2
        run = session.scalars(select(RateRun)).one()
    assert (run.source, run.job, run.rows_written, run.error) == ("peg", "update", 2, None)


def test_importing_the_scheduler_starts_nothing() -> None:
    code = "import threading, feedsvc.scheduler, feedsvc.rates.ingest.jobs; print(threading.active_count())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_the_foreground_command_lists_its_jobs_and_stops_on_sigterm(database_urls, db_name, app) -> None:
    env = {**os.environ, "FEEDSVC_DATABASE_URL": database_urls[db_name], "FEEDSVC_RATES_SOURCES": "peg",
           "FEEDSVC_RATES_CRON": "0 4 * * *"}
    process = subprocess.Popen([FEEDSVC, "scheduler"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        first_line = process.stdout.readline()
        process.send_signal(signal.SIGTERM)  # what systemd sends; never rely on SIGINT reaching it
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    assert first_line.startswith("scheduled: rates update (peg), cron cron[")
    assert "hour='4'" in first_line
    assert process.returncode == 0, err
    assert "scheduler stopped" in out


def test_the_gunicorn_entry_point_starts_no_scheduler(database_urls, db_name) -> None:
    code = "import threading, wsgi; print(wsgi.app.name, threading.active_count())"
    env = {**os.environ, "FEEDSVC_DATABASE_URL": database_urls[db_name], "FEEDSVC_SCHEDULER": "on"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env,
                         cwd=Path(__file__).parents[2])
    assert out.stdout.split() == ["feedsvc", "1"]


def test_the_last_fire_time_is_the_same_wherever_it_is_computed() -> None:
    weekdays = CronTrigger.from_crontab("20 1,6,11 * * mon-fri", timezone="UTC")
    saturday = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    assert last_fire_time(weekdays, saturday) == datetime(2026, 12, 4, 11, 20, tzinfo=UTC)
    at_fire = datetime(2026, 12, 4, 6, 20, tzinfo=UTC)
    assert last_fire_time(weekdays, at_fire) == at_fire
    assert last_fire_time(weekdays, at_fire + timedelta(microseconds=999_999)) == at_fire
    every_3 = CronTrigger(second="*/3", timezone="UTC")
    assert last_fire_time(every_3, datetime(2026, 12, 4, 6, 20, 7, 500_000, tzinfo=UTC)) == \
        datetime(2026, 12, 4, 6, 20, 6, tzinfo=UTC)


def test_a_start_catches_up_the_missed_trigger_once(app_factory, caplog) -> None:
    app = app_factory(RATES_SOURCES=("peg",), RATES_CRON="0 4 * * *", RATES_GAP_DAYS=2)
    missed = last_fire_time(CronTrigger.from_crontab("0 4 * * *", timezone="UTC"), datetime.now(UTC))
    catch_up(app)
    catch_up(app)  # the update succeeded after the trigger: nothing to catch up any more
    caplog.set_level(logging.INFO, "feedsvc")
    run_update_job(app, ("peg",), scheduled_at=missed)  # a second scheduler firing the same trigger
    assert f"trigger rates:peg at {missed.isoformat()} already run by {socket.gethostname()}:" in caplog.text
    with Session(app.extensions["feedsvc.engine"]) as session:
        runs = session.scalars(select(RateRun)).all()
        claimed = session.execute(select(JobTrigger.job, JobTrigger.scheduled_at)).all()
    assert [(run.source, run.scheduled_at, run.error) for run in runs] == [("peg", missed, None)]
    assert claimed == [("rates:peg", missed)]
