"""Publishing days from a source's crontab, and staleness counted in them."""

from __future__ import annotations

from datetime import date

import pytest

from config import crontab_weekday_names
from feedsvc.rates.read.coverage import EVERY_DAY, missed_since, publishing_days, publishing_weekdays
from feedsvc.rates.sources import all_source_classes

WEEKDAYS = frozenset(range(5))


@pytest.mark.parametrize(("cron", "weekdays"), [
    ("20 1,6,11 * * mon-fri", WEEKDAYS),
    ("10 3,8,13 * * mon-sat", frozenset(range(6))),
    ("40 2,7,12 * * *", EVERY_DAY),
    ("0 9 * * 1-5", WEEKDAYS),  # crontab numbers, as the settings rewrite them for APScheduler
    ("0 9 * * 0", frozenset({6})),
    (None, EVERY_DAY),
])
def test_publishing_weekdays_follow_the_crontab(cron: str | None, weekdays: frozenset[int]) -> None:
    assert publishing_weekdays(cron and crontab_weekday_names(cron)) == weekdays


def test_every_bank_schedule_names_its_publishing_days() -> None:
    days = {name: publishing_weekdays(cls.default_cron) for name, cls in all_source_classes().items()}
    assert days["nbk"] == days["nbkr"] == days["cbu"] == WEEKDAYS
    assert days["nbt"] == days["currency-api"] == EVERY_DAY


def test_staleness_counts_publishing_days_before_today() -> None:
    friday, tuesday = date(2026, 11, 27), date(2026, 12, 1)
    assert list(publishing_days(friday, tuesday, WEEKDAYS)) == [friday, date(2026, 11, 30), tuesday]
    assert missed_since(friday, tuesday, WEEKDAYS) == 1  # Monday; the weekend does not count, nor today
    assert missed_since(friday, tuesday, EVERY_DAY) == 3
    assert missed_since(tuesday, tuesday, WEEKDAYS) == missed_since(None, tuesday, WEEKDAYS) == 0
