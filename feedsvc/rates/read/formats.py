"""Render rate rows as CSV (long or wide), JSON and NDJSON, lazily in chunks (digits and text: exact.py)."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from feedsvc.core.models import RateAnomaly
from feedsvc.rates.constants import ANOMALY_STATUSES
from feedsvc.rates.exact import CSV_DAY_HEADER, csv_writer, format_change, format_rate
from feedsvc.rates.read.coverage import Coverage
from feedsvc.rates.read.currencies import CurrencyListing
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.read.periods import SeriesRow, ServedRow
from feedsvc.rates.read.series import RateRow
from feedsvc.rates.read.status import SourceStatus

CHUNK_ROWS = 500  # rows per yielded chunk: big enough to be fast, small enough to stay flat in memory
# One encoder for every row: json.dumps(..., ensure_ascii=False) builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False)
T = TypeVar("T")


@dataclass(frozen=True)
class SourceInfo:
    """A source as configured: name, priority (None when disabled), URL templates, terms."""

    name: str
    enabled: bool
    priority: int | None
    url: str
    fallback_url: str | None
    history_url: str | None
    currencies: list[str]
    attribution: str
    terms: str
    schedule: str  # the UTC crontab of its update job
    publishes_on: list[str]  # weekday names, from the schedule
    missing_days_url: str


def csv_filename(query: RateQuery) -> str:
    """The download name: rates_<from>_<to>.csv."""
    return f"rates_{query.start}_{query.end}.csv"


def render_csv(rows: Iterable[ServedRow], query: RateQuery) -> Iterator[str]:
    """CSV in chunks: long ``date,pair,rate,[close,count,]change_pct,source`` or wide ``date,<pair>...``."""
    if query.layout == "wide":
        header = ["date", *map(str, query.pairs)]
        records = _wide_records(rows, query.pairs)
    elif query.group == "day":
        header = [*CSV_DAY_HEADER, *(["digest"] if query.provenance else []),
                  *(["carried"] if query.fill else [])]
        records = (
            [row.date.isoformat(), str(row.pair), format_rate(row.rate, row.digits),
             format_change(row.change_pct), row.source, *([row.digest or ""] if query.provenance else []),
             *(["true" if row.carried else "false"] if query.fill else [])]  # type: ignore[union-attr]
            for row in rows  # day rows are RateRow, with their digest
        )
    else:
        header = ["date", "pair", "rate", "close", "count", "change_pct", "source"]
        records = (
            [row.date.isoformat(), str(row.pair), format_rate(row.rate, row.digits),
             _close(row), str(row.count), format_change(row.change_pct), row.source]
            for row in rows  # grouped rows are SeriesRow, with close and count
        )
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(header)
    for batch in _batched(records):
        writer.writerows(batch)
        yield _drain(buffer)
    yield _drain(buffer)


def _close(row: SeriesRow) -> str:
    return format_rate(row.rate if row.close is None else row.close, row.digits)


def _wide_records(rows: Iterable[ServedRow], pairs: tuple[Pair, ...]) -> Iterator[list[str]]:
    for day, same_day in itertools.groupby(rows, key=lambda row: row.date):
        cells = {row.pair: format_rate(row.rate, row.digits) for row in same_day}
        yield [day.isoformat(), *(cells.get(pair, "") for pair in pairs)]


def _batched(records: Iterable[T]) -> Iterator[tuple[T, ...]]:
    iterator = iter(records)
    while batch := tuple(itertools.islice(iterator, CHUNK_ROWS)):
        yield batch


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def latest_to_json(row: RateRow, stale: bool) -> dict[str, Any]:
    """One row of /rates/latest.json: ``rate`` a string (exact), ``change_pct`` a number or null.

    ``stale``: no newer value for RATES_STALE_PUBLISHING_DAYS of its sources' publishing days.
    """
    return {
        "pair": str(row.pair),
        "date": row.date.isoformat(),
        "rate": format_rate(row.rate, row.digits),
        # Two decimals survive a float exactly enough: repr() gives back the same two decimals.
        "change_pct": None if row.change_pct is None else float(row.change_pct),
        "prev_date": row.prev_date.isoformat() if row.prev_date else None,
        "stale": stale,
        "source": row.source,
    }


def series_row_to_json(row: ServedRow, group: str, provenance: bool = False,
                       fill: bool = False) -> dict[str, Any]:
    """A row of /rates.json and /rates.ndjson; grouped rows add ``close`` and ``count``, provenance=1
    the payload's ``digest``, fill=previous ``carried``."""
    fields: dict[str, Any] = {"date": row.date.isoformat(), "pair": str(row.pair),
                              "rate": format_rate(row.rate, row.digits)}
    if group != "day":  # grouped rows are SeriesRow, with close and count
        fields |= {"close": _close(row), "count": row.count}  # type: ignore[arg-type,union-attr]
    return {
        **fields,
        "change_pct": None if row.change_pct is None else float(row.change_pct),  # as in latest_to_json
        "prev_date": row.prev_date.isoformat() if row.prev_date else None,
        "source": row.source,
        **({"digest": row.digest} if provenance else {}),  # type: ignore[union-attr]
        **({"carried": row.carried} if fill else {}),  # type: ignore[union-attr]
    }


def render_json(rows: Iterable[ServedRow], query: RateQuery) -> Iterator[str]:
    """``{"from", "to", "pairs", "group", "rates": [...]}`` in chunks, the rows never all in memory."""
    head = {"from": query.start.isoformat() if query.start else None,
            "to": query.end.isoformat() if query.end else None,
            "pairs": [str(pair) for pair in query.pairs], "group": query.group}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "rates": ['
    separator = ""
    for batch in _batched(series_row_to_json(row, query.group, query.provenance, bool(query.fill))
                         for row in rows):
        yield separator + _JSON.encode(batch)[1:-1]  # a list's items, ", "-separated as by json.dumps
        separator = ", "
    yield "]}\n"


def render_ndjson(rows: Iterable[ServedRow], query: RateQuery) -> Iterator[str]:
    """One JSON row per line (as in /rates.json's ``rates``), in chunks."""
    for batch in _batched(series_row_to_json(row, query.group, query.provenance, bool(query.fill))
                         for row in rows):
        yield "".join(_JSON.encode(item) + "\n" for item in batch)


def render_as_of(found: Iterable[tuple[Pair, RateRow | None]], query: RateQuery) -> str:
    """/rates.json?date=: ``{"date", "pairs", "rates": [...]}``, a row per pair (null fields: none)."""
    rates = [series_row_to_json(row, "day") if row else _null_row(pair) for pair, row in found]
    return json.dumps({"date": query.at.isoformat() if query.at else None,
                       "pairs": [str(pair) for pair in query.pairs], "rates": rates}, ensure_ascii=False)


def render_latest_as_of(found: Iterable[tuple[Pair, RateRow | None, bool | None]],
                        sources: Iterable[str]) -> str:
    """/rates/latest.json?date=: as /rates/latest.json, a row per pair, its fields null without one."""
    rates = [latest_to_json(row, bool(stale)) if row else {**_null_row(pair), "stale": None}
             for pair, row, stale in found]
    return json.dumps({"rates": rates, "sources": list(sources)}, ensure_ascii=False)


def _null_row(pair: Pair) -> dict[str, Any]:
    return {"pair": str(pair), "date": None, "rate": None, "change_pct": None, "prev_date": None,
            "source": None}


def render_latest(rows: Iterable[tuple[RateRow, bool]], sources: Iterable[str] = ()) -> str:
    """``{"rates": [{"pair", "date", "rate", "change_pct", "prev_date", "stale", "source"}], "sources"}``."""
    rates = [latest_to_json(row, stale) for row, stale in rows]
    return json.dumps({"rates": rates, "sources": list(sources)}, ensure_ascii=False)


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def anomaly_to_json(anomaly: RateAnomaly) -> dict[str, Any]:
    """A value a guard refused, held back or flagged, and what became of it."""
    return {
        "date": anomaly.date.isoformat(), "currency": anomaly.currency, "quote": anomaly.quote,
        "nominal": anomaly.nominal, "value": None if anomaly.value is None else format(anomaly.value, "f"),
        "reason": anomaly.reason, "status": anomaly.status, "note": anomaly.note,
        "reference_source": anomaly.reference_source,
        "reference_date": anomaly.reference_date.isoformat() if anomaly.reference_date else None,
        "reference_value": None if anomaly.reference_value is None else format(anomaly.reference_value, "f"),
        "recorded_at": _timestamp(anomaly.recorded_at),
        "decided_by": anomaly.decided_by, "decided_at": _timestamp(anomaly.decided_at),
    }


def source_to_json(info: SourceInfo, status: SourceStatus, coverage: Coverage) -> dict[str, Any]:
    """One source of /rates/sources.json: what it is, what is stored and missing, how its runs went."""
    error = status.last_error
    return {
        **asdict(info),
        "first_date": status.first_date.isoformat() if status.first_date else None,
        "last_date": status.last_date.isoformat() if status.last_date else None,
        "days_with_data": coverage.days_with_data,
        "missing_days": coverage.missing_days,
        # Only an enabled source is expected to bring news.
        "stale": coverage.stale if info.enabled else None,
        "publishing_days_since_last": coverage.missed_since_last,
        "last_success": _timestamp(status.last_success),
        "last_error": None if error is None else {
            "at": _timestamp(error.finished_at or error.started_at), "message": error.error},
        "held_back": [
            {"date": a.date.isoformat(), "currency": a.currency, "quote": a.quote, "nominal": a.nominal,
             "value": None if a.value is None else format(a.value, "f"),
             "reference_source": a.reference_source,
             "reference_value": None if a.reference_value is None else format(a.reference_value, "f")}
            for a in status.held_back
        ],
        "anomaly_counts": {name: status.anomaly_counts.get(name, 0) for name in ANOMALY_STATUSES},
        "anomalies": [anomaly_to_json(a) for a in status.anomalies],
    }


def render_sources(sources: Iterable[tuple[SourceInfo, SourceStatus, Coverage]]) -> str:
    """``{"sources": [...]}`` in priority order."""
    return json.dumps({"sources": [source_to_json(*row) for row in sources]}, ensure_ascii=False)


def currency_to_json(listing: CurrencyListing) -> dict[str, Any]:
    """One code of /rates/currencies.json: name, sources, its own lines and the tables quoted in it."""
    return {
        "code": listing.code, "name": listing.name, "sources": listing.sources,
        "listed_by": [{"source": line.source, "quote": line.quote, "nominal": line.nominal,
                       "first_date": line.first_date.isoformat(), "last_date": line.last_date.isoformat(),
                       "days": line.days} for line in listing.listed_by],
        "quoted_by": [{"source": quoted.source, "currencies": quoted.currencies,
                       "first_date": quoted.first_date.isoformat(), "last_date": quoted.last_date.isoformat()}
                      for quoted in listing.quoted_by],
    }


def render_currencies(listings: Iterable[CurrencyListing]) -> str:
    """``{"currencies": [...]}``, by code."""
    return json.dumps({"currencies": [currency_to_json(listing) for listing in listings]}, ensure_ascii=False)


def render_missing(days: Iterable[tuple[date, str]]) -> str:
    """``date,weekday,status`` CSV of a source's missing publishing days."""
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    writer.writerow(["date", "weekday", "status"])
    writer.writerows([day.isoformat(), f"{day:%a}", status] for day, status in days)
    return buffer.getvalue()
