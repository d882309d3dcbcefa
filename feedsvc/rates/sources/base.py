"""What every rate source is: a URL template, ``fetch`` (HTTP only) and ``parse`` (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import ClassVar

import requests

from feedsvc.rates.sources.http import get_body


class NoData(Exception):
    """The source has no observation for the requested day (a 404, a Sunday, a stale file)."""


class SourceError(Exception):
    """The source answered something unusable (HTML error page, truncated or malformed body)."""


@dataclass(frozen=True)
class Observation:
    """Units of ``currency`` per 1 USD on ``date``, exactly as published."""

    date: date
    currency: str
    units_per_usd: Decimal


def http_get(
    http: requests.Session, url: str, timeout: tuple[float, float], user_agent: str | None = None
) -> bytes:
    """GET ``url`` within the session's budget (sources/http.py); NoData on 404, requests errors otherwise."""
    headers = {"User-Agent": user_agent} if user_agent else None
    try:
        return get_body(http, url, timeout, headers)
    except requests.HTTPError as exc:
        if exc.response is not None and exc.response.status_code == 404:
            raise NoData(f"404 from {url}") from None
        raise


class Source:
    """A rate source. Subclasses set the class attributes and implement ``parse``."""

    name: ClassVar[str]
    currencies: ClassVar[tuple[str, ...]]
    # The real upstream's URL templates (``str.format`` with ``date``, or ``start`` and ``end`` for a
    # range); FEEDSVC_SOURCE_<NAME>_URL, _FALLBACK_URL and _HISTORY_URL override them.
    default_url: ClassVar[str] = ""
    default_fallback_url: ClassVar[str | None] = None
    default_history_url: ClassVar[str | None] = None
    attribution: ClassVar[str] = ""
    terms: ClassVar[str] = ""
    user_agent: ClassVar[str | None] = None  # None: the session's feedsvc User-Agent
    constant: ClassVar[bool] = False  # True: no upstream is asked, so a success says nothing of freshness
    min_interval: ClassVar[float] = 0.0  # seconds the jobs wait between two requests to this source
    # The first day the upstream documents data for: a backfill starts here by default, never earlier.
    # None: no documented start (a backfill then needs an explicit first day).
    history_start: ClassVar[date | None] = None
    max_range_days: ClassVar[int] = 0  # > 0: the source also serves ranges (fetch_range / parse_range)
    # A value further than RATES_CROSSCHECK_PCT from this source's value that day is held back.
    crosscheck_reference: ClassVar[str | None] = None
    # UTC crontab of this source's update job; None: RATES_CRON. Weekdays by name: APScheduler 3 reads
    # crontab weekday numbers from Monday = 0 (``1-5`` would be Tuesday to Saturday).
    default_cron: ClassVar[str | None] = None

    def __init__(self, url_template: str, fallback_template: str | None = None,
                 history_template: str | None = None) -> None:
        self.url_template = url_template
        self.fallback_template = fallback_template
        self.history_template = history_template

    def url_for(self, day: date) -> str:
        """The URL of ``day``'s data."""
        return self.url_template.format(date=day)

    def fetch(self, http: requests.Session, day: date, timeout: tuple[float, float]) -> bytes:
        """Download ``day``'s payload; raise NoData on 404, requests errors otherwise."""
        return http_get(http, self.url_for(day), timeout, self.user_agent)

    def parse(self, payload: bytes, day: date) -> list[Observation]:
        """Pure: the observations in ``payload`` for ``day``; NoData or SourceError when none."""
        raise NotImplementedError

    def fetch_range(
        self, http: requests.Session, start: date, end: date, timeout: tuple[float, float]
    ) -> bytes:
        """Range sources only: download ``start``..``end`` (at most ``max_range_days`` days)."""
        raise NotImplementedError

    def parse_range(self, payload: bytes) -> list[Observation]:
        """Range sources only, pure: every observation in a range payload."""
        raise NotImplementedError
