"""Crontab weekdays mean what crontab says (Sunday = 0), although APScheduler 3 counts from Monday."""

from datetime import UTC, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from config import Config

SATURDAY_NOON = datetime(2026, 11, 28, 12, tzinfo=UTC)


@pytest.mark.parametrize(("crontab", "weekday"), [
    ("0 9 * * 1-5", "Mon"),  # Monday to Friday: the next run after Saturday is on Monday
    ("0 9 * * 0", "Sun"),
    ("0 9 * * 7", "Sun"),
    ("0 9 * * 6", "Sat"),
    ("0 9 * * 2,4", "Tue"),
    ("0 9 * * tue", "Tue"),
])
def test_rates_cron_weekdays_follow_crontab(crontab, weekday):
    config = Config({"FEEDSVC_RATES_CRON": crontab})
    trigger = CronTrigger.from_crontab(config.RATES_CRON, timezone="UTC")
    next_run = trigger.get_next_fire_time(None, SATURDAY_NOON)
    assert next_run.strftime("%a") == weekday


def test_source_cron_weekdays_follow_crontab():
    config = Config({"FEEDSVC_SOURCE_NBK_CRON": "20 1 * * 1-5"})
    assert config.SOURCE_CRONS["nbk"] == "20 1 * * mon-fri"
