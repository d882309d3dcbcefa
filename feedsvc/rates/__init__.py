"""The rates domain: sources, ingest, the served series and their formats. This module is its public surface.

Presentations import from here only (the import-linter contract in pyproject.toml keeps it so); the
modules beside it are the domain's own.
"""

from feedsvc.rates.constants import USD
from feedsvc.rates.display import make_ticker_item
from feedsvc.rates.params import (
    Pair,
    RateQuery,
    default_pairs,
    parse_chart_query,
    parse_csv_query,
    parse_json_query,
    parse_latest_query,
    read_pairs,
)
from feedsvc.rates.periods import ServedRow
from feedsvc.rates.render import (
    csv_filename,
    format_rate,
    render_csv,
    render_json,
    render_latest,
    render_missing,
    render_ndjson,
    render_sources,
)
from feedsvc.rates.service import (
    RATES_CACHE,
    RateRow,
    attributions,
    enabled_sources,
    last_update_success,
    latest_rows,
    missing_days,
    rate_validators,
    resolve_query,
    series,
    series_rows,
    source_listing,
    source_names,
    ticker,
    usd_csv_lines,
    with_staleness,
)

__all__ = [
    "RATES_CACHE", "USD", "Pair", "RateQuery", "RateRow", "ServedRow", "attributions", "csv_filename",
    "default_pairs", "enabled_sources", "format_rate", "last_update_success", "latest_rows",
    "make_ticker_item", "missing_days", "parse_chart_query", "parse_csv_query", "parse_json_query",
    "parse_latest_query", "rate_validators", "read_pairs", "render_csv", "render_json", "render_latest",
    "render_missing", "render_ndjson", "render_sources", "resolve_query", "series", "series_rows",
    "source_listing", "source_names", "ticker", "usd_csv_lines", "with_staleness",
]
