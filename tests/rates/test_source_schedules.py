"""Each central bank runs at its own UTC hours on its local working days; config overrides a crontab."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from config import Config
from feedsvc.rates.sources import all_source_classes
from feedsvc.scheduler import make_scheduler

BANKS = ("nbk", "nbkr", "nbt", "cbu", "cbt")
# Local working days (Monday = 0) the bank publishes on.
WORKING_DAYS = {"nbk": set(range(5)), "nbkr": set(range(5)), "nbt": set(range(7)), "cbu": set(range(5)),
                "cbt": set(range(6))}


def fire_times(trigger: CronTrigger, days: int = 21) -> list[datetime]:
    """Every time ``trigger`` fires over ``days`` days from a Monday."""
    now, end = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC) + timedelta(days=days)
    times, previous = [], None
    while (fire := trigger.get_next_fire_time(previous, now)) and fire < end:
        times.append(fire)
        previous, now = fire, fire + timedelta(seconds=1)
    return times


def jobs_by_source(app) -> dict[str, CronTrigger]:
    scheduler = make_scheduler(app, BackgroundScheduler)
    return {name: job.trigger for job in rate_jobs(scheduler) for name in job.args[1]}


def rate_jobs(scheduler: BackgroundScheduler) -> list:
    """The rate update jobs (the scheduler also checks the article upstreams)."""
    return [job for job in scheduler.get_jobs() if job.id.startswith("rates-update:")]


def test_every_bank_gets_its_own_job_and_the_others_share_rates_cron(app_factory) -> None:
    app = app_factory(RATES_SOURCES=("nbk", "nbkr", "nbt", "cbu", "cbt", "peg", "currency-api"),
                      RATES_CRON="7 * * * *", SOURCE_CRONS={})
    scheduler = make_scheduler(app, BackgroundScheduler)
    groups = sorted(job.args[1] for job in rate_jobs(scheduler))
    assert groups == sorted([("nbk",), ("nbkr",), ("nbt",), ("cbu",), ("cbt",), ("peg", "currency-api")])
    triggers = jobs_by_source(app)
    for name in BANKS:
        assert str(triggers[name]) == str(CronTrigger.from_crontab(all_source_classes()[name].default_cron,
                                                                   timezone="UTC"))


@pytest.mark.parametrize("name", BANKS)
def test_bank_runs_on_local_working_days_at_hours_where_its_date_is_the_utc_date(app_factory, name) -> None:
    triggers = jobs_by_source(app_factory(RATES_SOURCES=(name,), SOURCE_CRONS={}))
    times = fire_times(triggers[name])
    assert len(times) >= 2 * len(WORKING_DAYS[name])  # several runs a day, on each working day
    assert {t.weekday() for t in times} == WORKING_DAYS[name]
    # UTC+5/+6: before 18:00 UTC the local calendar day (and weekday) is the UTC one.
    assert all(t.hour < 18 for t in times), times


def test_nbkr_daily_file_is_only_asked_between_0_and_17_utc(app_factory) -> None:
    times = fire_times(jobs_by_source(app_factory(RATES_SOURCES=("nbkr",), SOURCE_CRONS={}))["nbkr"])
    assert {t.hour for t in times} <= set(range(18))


def test_a_source_cron_from_the_environment_overrides_the_default(app_factory) -> None:
    # Weekday names: APScheduler 3 reads crontab weekday numbers from Monday = 0, not Sunday = 0.
    crons = Config({"FEEDSVC_SOURCE_NBK_CRON": "15 9 * * sat"}).SOURCE_CRONS
    triggers = jobs_by_source(app_factory(RATES_SOURCES=("nbk", "cbu"), SOURCE_CRONS=crons))
    assert {(t.weekday(), t.hour, t.minute) for t in fire_times(triggers["nbk"])} == {(5, 9, 15)}
    assert str(triggers["cbu"]) == str(CronTrigger.from_crontab("50 1,6,11 * * mon-fri", timezone="UTC"))
