"""What every presentation of the rates asks: sources, validators, series, latest rows, the ticker.

Routes of the rates themselves, the /rates page, the home page and the embeds all call these, on the
request's session; none of them reaches into queries, ingest or the source classes directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from flask import current_app

from feedsvc.core.changes import read_marker
from feedsvc.core.countries import RATE_SOURCES_SCOPE, RATES_SCOPE, tracked_currencies
from feedsvc.core.db import get_session
from feedsvc.core.errors import BadRequestParams
from feedsvc.core.http import make_etag, public_cache
from feedsvc.core.memo import memoised
from feedsvc.core.urls import external_url
from feedsvc.rates import sources
from feedsvc.rates.constants import USD
from feedsvc.rates.read import formats, materialised, status
from feedsvc.rates.read import series as queries
from feedsvc.rates.read.choices import common_pairs
from feedsvc.rates.read.coverage import Coverage, any_stale, coverage, publishing_weekdays
from feedsvc.rates.read.coverage import missing_days as coverage_missing_days
from feedsvc.rates.read.currencies import (
    CurrencyListing,
    StoredLine,
    list_currencies,
    newest_common_date,
    select_stored_lines,
    source_currencies,
)
from feedsvc.rates.read.fill import fill_previous, newest_by_pair
from feedsvc.rates.read.formats import SourceInfo
from feedsvc.rates.read.materialised import stream_pair_csv, stream_usd_csv, usd_period_rows
from feedsvc.rates.read.pairs import Plan, make_plan, select_pairs
from feedsvc.rates.read.params import (
    AS_OF_DAYS,
    DEFAULT_DAYS,
    Pair,
    RateQuery,
    default_pairs,
    parse_pairs,
    resolve_range,
)
from feedsvc.rates.read.paths import ReadPath, choose_path
from feedsvc.rates.read.payloads import StoredPayload, find_payload
from feedsvc.rates.read.periods import ServedRow, group_rows
from feedsvc.rates.read.series import RateRow
from feedsvc.rates.read.status import SourceStatus
from feedsvc.rates.read.ticker import TickerItem, make_ticker_item
from feedsvc.rates.served.pair_lines import lines_version, pending_days
from feedsvc.rates.served.pairs import REPEAT_DAYS
from feedsvc.rates.sources import all_source_classes

# Rates change at most a few times a day: let caches serve a slightly old copy while they revalidate,
# and keep serving it when we are down.
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RATES_CACHE = public_cache(300, "stale-while-revalidate=600")
PER_REVISION = "feedsvc.rates.per_revision"  # app.extensions: (rates revision, {key: answer})
LATEST_DAYS = 31  # /rates/latest.json of a pair from the tables: its newest row this close to the newest date
SOURCES_SETTINGS = "feedsvc.rates.sources_settings"  # app.extensions: the settings' part of its ETag
REMEMBERED = "feedsvc.rates.remembered"  # the memo of series queries (feedsvc/core/memo.py)
T = TypeVar("T")


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
    return choose_path(query, enabled_source_names(), kept_pairs)


def kept_pairs(scope: str, first: date, last: date) -> frozenset[Pair]:
    """The pairs whose stored lines ``rate_lines`` hold in ``scope`` over [first, last]: none while a day
    written there waits for its refresh (served/pair_lines.py); read once per rates revision."""
    known = per_revision()
    key = ("kept", scope)
    if key not in known:
        session = get_session()
        # Lines computed with another priority or format are not this configuration's: none are kept.
        current = materialised.lines_computed_with(session) == lines_version(enabled_source_names())
        pairs = frozenset(materialised.kept_pairs(session, scope) if current else ())
        known[key] = pairs, pending_days(session, scope)
    pairs, waiting = known[key]
    # A waiting day D changes the rows of D and of the REPEAT_DAYS after it.
    stale = any(first - timedelta(days=REPEAT_DAYS) <= day <= last for day in waiting)
    return frozenset() if stale else pairs


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
    newest = newest_date(query.pairs, read_path(query))
    return resolve_range(query, newest, datetime.now(UTC).date(), days)


def newest_date(pairs: tuple[Pair, ...], path: ReadPath) -> date | None:
    """The newest date with a value of any of ``pairs``, queried once per rates revision: a served
    X/USD line's, else the newest day on which both codes of a pair have a stored line."""
    # Every request of the default range needs it before its ETag; on a warm answer (a byte-cache hit)
    # building and running this query cost more than the rest of the view (bench/rates.py).
    known = per_revision()
    key = ("newest", pairs, path.own, path.served)
    if key not in known:
        if path.served:
            currencies = tuple(dict.fromkeys(c for pair in pairs for c in pair.currencies))
            known[key] = queries.newest_date(get_session(), currencies, path)
        else:
            sources = (path.own,) if path.own else enabled_source_names()
            known[key] = newest_common_date(stored_lines(), pairs, sources)
    return known[key]


def per_revision() -> dict[tuple, Any]:
    """Answers kept in this process for the current rates revision (emptied when the marker moves)."""
    # Writes to the stored lines bump the marker in the same transaction, as the ETags already rely on.
    marker = read_marker(RATES_SCOPE)
    revision = (marker.revision, marker.changed_at)
    known = current_app.extensions.get(PER_REVISION)
    if known is None or known[0] != revision:
        known = current_app.extensions[PER_REVISION] = (revision, {})
    return known[1]


def remembered(key: tuple, make: Callable[[], T]) -> T:
    """``make()``'s answer for ``key``, computed once per rates revision among the last MEMO_MAX keys of
    this process."""
    marker = read_marker(RATES_SCOPE)
    return memoised(REMEMBERED, (marker.revision, marker.changed_at), key, make)


def stored_lines() -> list[StoredLine]:
    """Every kind of stored line with its dates (read/currencies.py), queried once per rates revision."""
    known = per_revision()
    if ("lines",) not in known:
        known[("lines",)] = select_stored_lines(get_session())
    return known[("lines",)]


def currency_listing() -> list[CurrencyListing]:
    """Each stored currency code: its name, the sources publishing it, dates and nominals."""
    return list_currencies(stored_lines(), all_by_priority())


def all_by_priority() -> list[str]:
    """Every known source: the enabled ones in priority order, then the others."""
    enabled = enabled_source_names()
    return [*enabled, *(name for name in all_source_classes() if name not in enabled)]


def servable_currencies() -> frozenset[str]:
    """Every code an enabled source stored (a pair may name any), read once per rates revision."""
    known = per_revision()
    if ("servable",) not in known:
        known[("servable",)] = frozenset(queries.stored_codes(get_session(), enabled_source_names()))
    return known[("servable",)]


def pair_currencies() -> list[str]:
    """Every code ``pairs=`` accepts, as its 400 lists them: the tracked currencies and USD, then the
    other codes the enabled sources stored."""
    return list(dict.fromkeys([*tracked_currencies(), USD, *sorted(servable_currencies())]))


def check_pairs(value: str) -> tuple[Pair, ...]:
    """A comma list of BASE/QUOTE of servable codes, or a 400 (``pairs``) listing what is allowed."""
    try:
        return parse_pairs(value, tracked_currencies(), servable_currencies)
    except ValueError as exc:
        raise BadRequestParams(f"pairs: {exc}", {"pairs": [str(exc)]}) from None


def table_plan(path: ReadPath) -> Plan:
    """What a query of pairs beyond the served X/USD lines reads (read/pairs.py)."""
    return make_plan(path, enabled_source_names())


def observed_rows(query: RateQuery, path: ReadPath) -> Iterator[RateRow]:
    """The observations of a resolved query, lazily: the served X/USD lines, or any pair's best path."""
    if path.served:
        return queries.select_series(get_session(), query, path)
    return select_pairs(get_session(), query, table_plan(path))


def day_rows(query: RateQuery, path: ReadPath) -> Iterator[RateRow]:
    """The day rows of a resolved query: its observations, or with fill=previous every calendar day."""
    if not query.fill:
        return observed_rows(query, path)
    assert query.start is not None and query.end is not None, "resolve the range first"
    earlier = replace(query, start=query.start - timedelta(days=AS_OF_DAYS), fill=None)
    return fill_previous(observed_rows(earlier, path), query.pairs, query.start, query.end)


def series(query: RateQuery) -> Iterator[RateRow]:
    """The day rows of a resolved query, lazily, by date then pair order."""
    return day_rows(query, read_path(query))


def series_text(query: RateQuery, fmt: str) -> Iterator[str]:
    """A resolved query's answer in format ``fmt`` (see SERIES_FORMATS), in chunks, lazily."""
    path = read_path(query)
    if fmt == "csv" and path.stored_lines:
        return stream_usd_csv(get_session(), query)
    if fmt == "csv" and path.pair_lines:
        return stream_pair_csv(get_session(), query, path.scope)
    rows: Iterator[ServedRow]
    if path.stored_periods:
        rows = usd_period_rows(get_session(), query)
    elif query.group != "day":
        rows = group_rows(day_rows(query, path), query.pairs, query.group)
    else:
        rows = day_rows(query, path)
    return SERIES_FORMATS[fmt][1](rows, query)


def rows_as_of(query: RateQuery) -> list[tuple[Pair, RateRow | None]]:
    """Per pair, its newest observation on or before ``query.at``, at most AS_OF_DAYS older, or None."""
    assert query.at is not None, "date= given"
    window = replace(query, start=query.at - timedelta(days=AS_OF_DAYS), end=query.at, group="day",
                     fill=None, at=None)
    return newest_by_pair(observed_rows(window, read_path(window)), query.pairs)


def as_of_text(query: RateQuery) -> str:
    """/rates.json?date=: the rate in force on that day per pair."""
    return formats.render_as_of(rows_as_of(query), query)


def latest_text(query: RateQuery) -> str:
    """/rates/latest.json: the newest rate of each pair (with date=: the one in force that day)."""
    if query.at is None:
        rows = with_staleness(latest_rows(query.pairs, query.source))
        return formats.render_latest(rows, attributions(*(row.source for row, _stale in rows)))
    found = rows_as_of(query)
    stale = dict(with_staleness([row for _pair, row in found if row is not None], query.at))
    # Some banks (NBT among them) require their attribution wherever their rates are shown.
    shown = attributions(*(row.source for _pair, row in found if row is not None))
    return formats.render_latest_as_of([(pair, row, stale.get(row)) for pair, row in found], shown)


def latest_rows(pairs: tuple[Pair, ...], source: str | None = None) -> list[RateRow]:
    """The newest row of each pair (pairs without data are left out)."""
    query = RateQuery(pairs, source=source)
    path = read_path(query)
    if path.served:
        return queries.select_latest(get_session(), pairs, path)
    newest = newest_date(query.pairs, path)
    if newest is None:
        return []
    window = replace(query, start=newest - timedelta(days=LATEST_DAYS), end=newest)
    return [row for _pair, row in newest_by_pair(observed_rows(window, path), pairs) if row is not None]


def ticker(pairs: tuple[Pair, ...] | None = None) -> list[TickerItem]:
    """Ticker items for ``pairs`` (default: every tracked currency against USD), stale ones marked."""
    rows = latest_rows(pairs or default_pairs(tracked_currencies()))
    return [make_ticker_item(row, stale) for row, stale in with_staleness(rows)]


def with_staleness(rows: list[RateRow], today: date | None = None) -> list[tuple[RateRow, bool]]:
    """Each row, and True when no newer value came for RATES_STALE_PUBLISHING_DAYS of its sources' days
    before ``today`` (default: today's date)."""
    today, names = today or datetime.now(UTC).date(), set(source_names())
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
    session, today, lines = get_session(), datetime.now(UTC).date(), stored_lines()
    listing = []
    for name in all_by_priority():
        cls, schedule = classes[name], source_schedule(name)
        weekdays = publishing_weekdays(schedule)
        info = SourceInfo(
            name=name, enabled=name in enabled, priority=enabled.index(name) + 1 if name in enabled else None,
            url=urls.get(name, ""), fallback_url=urls.get(f"{name}-fallback"),
            history_url=urls.get(f"{name}-history"), currencies=source_currencies(lines, name),
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


def offered_pairs(local: str | None, foreign_first: bool = True) -> tuple[Pair, ...]:
    """The common pairs of ``local`` (read/choices.py) that ``pairs=`` accepts, in the chosen orientation."""
    return tuple(pair for pair in common_pairs(local, tracked_currencies(), foreign_first) if servable(pair))


def servable(pair: Pair) -> bool:
    """True when the rates API serves ``pair``: its own parser of ``pairs=`` says so."""
    try:
        parse_pairs(str(pair), tracked_currencies(), servable_currencies)
    except ValueError:
        return False
    return True


def last_update_success() -> datetime | None:
    """When an update of a real upstream last finished without an error, or None."""
    constant = [name for name, cls in all_source_classes().items() if cls.constant]
    return status.last_update_success(get_session(), constant)
