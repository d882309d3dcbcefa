"""The rates domain: sources, ingest, the served series and their formats. This module is its public surface.

Presentations import from here only (the import-linter contract in pyproject.toml keeps it so); the
modules and packages beside it are the domain's own: ``sources/`` (fetch + parse, one module per bank)
→ ``ingest/`` (validate, guards, cross-check, store, jobs) → ``served/`` (what is served, kept
materialised) → ``read/`` (series, periods, formats), with ``exact.py`` the one module of decimal
arithmetic and formatting.
"""

from feedsvc.rates.constants import USD
from feedsvc.rates.exact import format_rate
from feedsvc.rates.read.formats import (
    csv_filename,
    render_currencies,
    render_latest,
    render_missing,
    render_sources,
)
from feedsvc.rates.read.params import (
    Pair,
    RateQuery,
    default_pairs,
    parse_chart_query,
    parse_csv_query,
    parse_json_query,
    parse_latest_query,
    read_pairs,
)
from feedsvc.rates.read.series import RateRow
from feedsvc.rates.read.ticker import make_ticker_item
from feedsvc.rates.service import (
    RATES_CACHE,
    SERIES_FORMATS,
    as_of_text,
    attributions,
    check_pairs,
    currency_listing,
    enabled_source_names,
    last_update_success,
    latest_rows,
    latest_text,
    missing_days,
    offered_pairs,
    pair_currencies,
    rate_validators,
    remembered,
    resolve_query,
    series,
    series_text,
    servable_currencies,
    source_listing,
    source_names,
    source_payload,
    sources_etag,
    ticker,
    with_staleness,
)

__all__ = [
    "Pair", "RATES_CACHE", "RateQuery", "RateRow", "SERIES_FORMATS", "USD", "as_of_text", "attributions",
    "check_pairs", "csv_filename", "currency_listing", "default_pairs", "enabled_source_names",
    "format_rate", "last_update_success", "latest_rows", "latest_text", "make_ticker_item",
    "missing_days", "offered_pairs", "pair_currencies", "parse_chart_query", "parse_csv_query",
    "parse_json_query", "parse_latest_query", "rate_validators", "read_pairs", "render_currencies",
    "render_latest", "render_missing", "render_sources", "remembered", "resolve_query", "series",
    "series_text",
    "servable_currencies", "source_listing", "source_names", "source_payload", "sources_etag", "ticker",
    "with_staleness",
]
