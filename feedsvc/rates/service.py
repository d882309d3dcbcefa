"""What every presentation of the rates asks: sources, validators, series, latest rows, the ticker.

Routes of the rates themselves, the /rates page, the home page and the embeds all call these, on the
request's session; none of them reaches into queries, ingest or the source classes directly.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

from flask import current_app

from feedsvc.core.changes import read_marker
from feedsvc.core.countries import RATE_SOURCES_SCOPE, RATES_SCOPE, tracked_currencies
from feedsvc.core.db import get_session
from feedsvc.core.http import make_etag, public_cache
from feedsvc.core.urls import external_url
from feedsvc.rates import sources
from feedsvc.rates.read import formats, status
from feedsvc.rates.read import series as queries
from feedsvc.rates.read.coverage import Coverage, any_stale, coverage, publishing_weekdays
from feedsvc.rates.read.coverage import missing_days as coverage_missing_days
from feedsvc.rates.read.formats import SourceInfo
from feedsvc.rates.read.materialised import stream_usd_csv, usd_period_rows
from feedsvc.rates.read.params import DEFAULT_DAYS, Pair, RateQuery, default_pairs, resolve_range
from feedsvc.rates.read.paths import ReadPath, choose_path
from feedsvc.rates.read.payloads import StoredPayload, find_payload
from feedsvc.rates.read.periods import ServedRow, group_rows
from feedsvc.rates.read.series import RateRow
from feedsvc.rates.read.status import SourceStatus
from feedsvc.rates.read.ticker import TickerItem, make_ticker_item
from feedsvc.rates.sources import all_source_classes

# Rates change at most a few times a day: let caches serve a slightly old copy while they revalidate,
# and keep serving it when we are down.
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RATES_CACHE = public_cache(300, "stale-while-revalidate=600")
SOURCES_SETTINGS = "feedsvc.rates.sources_settings"  # app.extensions: the settings' part of its ETag
NEWEST_DATES = "feedsvc.rates.newest_dates"  # app.extensions: (rates revision, {query key: newest date})


# The formats a series is served in: media type and renderer; the first is what an unknown Accept gets.
SERIES_FORMATS = {
    "json": ("application/json", formats.render_json),
    "ndjson": ("application/x-ndjson", formats.render_ndjson),
    "csv": ("text/csv", formats.render_csv),
}


def enabled_source_names() -> tuple[str, ...]:
    """The names of the enabled sources, in priority order."""
    return tuple(current_app.config["RATES_SOURCES"])


def read_path(query: RateQuery) -> ReadPath:
    """Where ``query``'s rows come from (chosen once per request: read/paths.py)."""
    return choose_path(query, enabled_source_names())


def rate_validators(*parts: object) -> tuple[str, datetime]:
    """ETag and Last-Modified from the ``rates`` change marker and what determines the answer."""
    marker = read_marker(RATES_SCOPE)
    today = datetime.now(UTC).date()  # a value turns stale with time alone: a new day, a new ETag
    etag = make_etag("rates", marker.revision, marker.changed_at, today, *parts,
                     ",".join(enabled_source_names()))
    return etag, marker.changed_at


def sources_etag() -> str:
    """The ETag of /rates/sources.json: the rates marker, the sources' own (runs, days answered), today."""
    settings = current_app.extensions.get(SOURCES_SETTINGS)
    if settings is None:  # what the listing shows of the configuration, fixed for the process
        config = current_app.config
        settings = current_app.extensions[SOURCES_SETTINGS] = make_etag(
            sorted(config["SOURCE_URLS"].items()), config["RATES_STALE_PUBLISHING_DAYS"],
            *(source_schedule(name) for name in source_names()))
    sources = read_marker(RATE_SOURCES_SCOPE)
    return rate_validators("sources", sources.revision, sources.changed_at, settings)[0]


def resolve_query(query: RateQuery, days: int = DEFAULT_DAYS) -> RateQuery:
    """The query with its missing dates filled in: ``days`` days up to the newest stored date."""
    if query.start and query.end:
        return query
    newest = newest_date(query.currencies, read_path(query))
    return resolve_range(query, newest, datetime.now(UTC).date(), days)


def newest_date(currencies: tuple[str, ...], path: ReadPath) -> date | None:
    """The newest date with a served value of ``currencies``, queried once per rates revision."""
    # Every request of the default range needs it before its ETag; on a warm answer (a byte-cache hit)
    # building and running this query cost more than the rest of the view (bench/rates.py).
    # Writes to rate_served bump the marker in the same transaction, as the ETags already rely on.
    marker = read_marker(RATES_SCOPE)
    revision = (marker.revision, marker.changed_at)
    known = current_app.extensions.get(NEWEST_DATES)
    if known is None or known[0] != revision:
        known = current_app.extensions[NEWEST_DATES] = (revision, {})
    key = (currencies, path.own)
    if key not in known[1]:
        known[1][key] = queries.newest_date(get_session(), currencies, path)
    return known[1][key]


def series(query: RateQuery) -> Iterator[RateRow]:
    """The day rows of a resolved query, lazily, by date then pair order."""
    return queries.select_series(get_session(), query, read_path(query))


def series_text(query: RateQuery, fmt: str) -> Iterator[str]:
    """A resolved query's answer in format ``fmt`` (see SERIES_FORMATS), in chunks, lazily."""
    path = read_path(query)
    if fmt == "csv" and path.stored_lines:
        return stream_usd_csv(get_session(), query)
    rows: Iterator[ServedRow]
    if path.stored_periods:
        rows = usd_period_rows(get_session(), query)
    elif query.group != "day":
        rows = group_rows(queries.select_series(get_session(), query, path), query.pairs, query.group)
    else:
        rows = queries.select_series(get_session(), query, path)
    return SERIES_FORMATS[fmt][1](rows, query)


def latest_rows(pairs: tuple[Pair, ...], source: str | None = None) -> list[RateRow]:
    """The newest row of each pair (pairs without data are left out)."""
    return queries.select_latest(get_session(), pairs, read_path(RateQuery(pairs, source=source)))


def ticker(pairs: tuple[Pair, ...] | None = None) -> list[TickerItem]:
    """Ticker items for ``pairs`` (default: every tracked currency against USD), stale ones marked."""
    rows = latest_rows(pairs or default_pairs(tracked_currencies()))
    return [make_ticker_item(row, stale) for row, stale in with_staleness(rows)]


def with_staleness(rows: list[RateRow]) -> list[tuple[RateRow, bool]]:
    """Each row, and True when no newer value came for RATES_STALE_PUBLISHING_DAYS of its sources' days."""
    today, names = datetime.now(UTC).date(), set(source_names())
    stale_after = current_app.config["RATES_STALE_PUBLISHING_DAYS"]
    return [(row, any_stale([publishing_weekdays(source_schedule(name)) for name in row.source.split("+")
                             if name in names], row.date, today, stale_after)) for row in rows]


def attributions(*source_fields: str) -> list[str]:
    """The attribution of every source named in ``source_fields`` (``nbk+currency-api`` names two)."""
    classes = all_source_classes()
    names = dict.fromkeys(name for field in source_fields for name in field.split("+"))
    # NBT, among others, requires its attribution wherever its rates are shown.
    return [classes[name].attribution or name if name in classes else name for name in names]


def source_names() -> tuple[str, ...]:
    """Every implemented source, enabled or not."""
    return tuple(all_source_classes())


def source_schedule(name: str) -> str:
    """The UTC crontab of ``name``'s update job (its override, its own default, or RATES_CRON)."""
    return sources.source_schedule(name, current_app.config)


def source_listing() -> list[tuple[SourceInfo, SourceStatus, Coverage]]:
    """Every known source, the enabled ones in priority order, each with what is stored and recorded."""
    enabled = enabled_source_names()
    classes = all_source_classes()
    urls = current_app.config["SOURCE_URLS"]
    session, today = get_session(), datetime.now(UTC).date()
    listing = []
    for name in [*enabled, *(name for name in classes if name not in enabled)]:
        cls, schedule = classes[name], source_schedule(name)
        weekdays = publishing_weekdays(schedule)
        info = SourceInfo(
            name=name, enabled=name in enabled, priority=enabled.index(name) + 1 if name in enabled else None,
            url=urls.get(name, ""), fallback_url=urls.get(f"{name}-fallback"),
            history_url=urls.get(f"{name}-history"), currencies=list(cls.currencies),
            attribution=cls.attribution, terms=cls.terms, schedule=schedule,
            publishes_on=[WEEKDAY_NAMES[day] for day in sorted(weekdays)],
            missing_days_url=external_url("rates.get_missing_days", name=name),
        )
        stale_after = current_app.config["RATES_STALE_PUBLISHING_DAYS"]
        listing.append((info, status.select_source_status(session, name),
                        coverage(session, name, weekdays, today, stale_after)))
    return listing


def source_payload(name: str, day: date) -> StoredPayload | None:
    """The payload source ``name``'s table of ``day`` was stored from (else fetched that day), or None."""
    return find_payload(get_session(), name, day)


def missing_days(name: str) -> list[tuple[date, str]]:
    """The publishing days missing from ``name``'s stored range, each with why (no data, not fetched)."""
    return coverage_missing_days(get_session(), name, publishing_weekdays(source_schedule(name)))


def last_update_success() -> datetime | None:
    """When an update of a real upstream last finished without an error, or None."""
    constant = [name for name, cls in all_source_classes().items() if cls.constant]
    return status.last_update_success(get_session(), constant)
