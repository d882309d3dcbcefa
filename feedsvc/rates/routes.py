"""Rate routes: /rates.csv, /rates.json, /rates/latest.json, /rates/sources.json."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, request, stream_with_context
from sqlalchemy.orm import Session

from feedsvc.cache import get_cache
from feedsvc.changes import get_marker
from feedsvc.db import get_session
from feedsvc.http import conditional_response, make_etag
from feedsvc.rates.params import RateQuery, parse_rate_query, resolve_range
from feedsvc.rates.query import RateRow, newest_date, select_latest, select_series, select_source_status
from feedsvc.rates.render import (
    SourceInfo,
    csv_filename,
    render_csv,
    render_json,
    render_latest,
    render_sources,
)
from feedsvc.rates.sources import all_source_classes

bp = Blueprint("rates", __name__)

# Rates change at most a few times a day: let caches serve a slightly old copy while they revalidate,
# and keep serving it when we are down.
RATES_CACHE = "public, max-age=300, stale-while-revalidate=600, stale-if-error=86400"
SERIES_PARAMS = ("from", "to", "pairs", "source")


def tracked_currencies() -> tuple[str, ...]:
    """The configured currencies, in configured order."""
    return tuple(dict.fromkeys(country.currency for country in current_app.config["COUNTRIES"]))


def served_sources(query: RateQuery) -> tuple[str, ...]:
    """The sources a query reads, in priority order: one when ``source=`` is given."""
    return (query.source,) if query.source else tuple(current_app.config["RATES_SOURCES"])


def parse_series_request(allowed: tuple[str, ...]) -> tuple[RateQuery, tuple[str, ...]]:
    """Parse the query string and fill in the default range from the stored data."""
    query = parse_rate_query(
        request.args, tracked_currencies(), tuple(current_app.config["RATES_SOURCES"]), allowed
    )
    sources = served_sources(query)
    newest = None if query.start and query.end else newest_date(get_session(), query.currencies, sources)
    return resolve_range(query, newest, datetime.now(UTC).date()), sources


def stream_series(render: Callable[[Iterable[RateRow], RateQuery], Iterator[str]], query: RateQuery,
                  sources: tuple[str, ...]) -> Iterator[str]:
    """Render the series lazily, in a session opened (and closed) while the response streams."""

    # The request's own session is closed when the view returns, before the body is sent.
    @stream_with_context
    def generate() -> Iterator[str]:
        yield from render(select_series(get_session(), query, sources), query)

    return generate()


def cached_body(etag: str, render: Callable[[], str]) -> Callable[[], bytes]:
    """Render once per ETag (it names the data revision); later requests reuse the shared cache's bytes."""

    def body() -> bytes:
        cache, key = get_cache(), f"rates:{etag}"
        data = cache.get(key)
        if data is None:
            data = render().encode()
            cache.set(key, data, ttl=3600)
        return data

    return body


def rate_validators(session: Session, *parts: object) -> tuple[str, datetime | None]:
    """ETag and Last-Modified from the ``rates`` change marker and what determines the answer."""
    marker = get_marker(session, "rates")
    revision = (marker.revision, marker.changed_at) if marker else (0, None)
    etag = make_etag("rates", *revision, *parts, ",".join(current_app.config["RATES_SOURCES"]))
    return etag, marker.changed_at if marker else None


@bp.get("/rates.csv")
def get_rates_csv() -> Response:
    """Rate history as CSV (long or wide), streamed."""
    query, sources = parse_series_request((*SERIES_PARAMS, "layout"))
    session = get_session()
    etag, modified = rate_validators(session, "csv", query.cache_key())
    response = conditional_response(
        etag, modified,
        lambda: stream_series(render_csv, query, sources),
        "text/csv", RATES_CACHE, cors=True,
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{csv_filename(query)}"'
    return response


@bp.get("/rates.json")
def get_rates_json() -> Response:
    """Rate history as JSON, streamed."""
    query, sources = parse_series_request(SERIES_PARAMS)
    session = get_session()
    etag, modified = rate_validators(session, "json", query.cache_key())
    return conditional_response(
        etag, modified,
        lambda: stream_series(render_json, query, sources),
        "application/json", RATES_CACHE, cors=True,
    )


@bp.get("/rates/latest.json")
def get_latest_rates() -> Response:
    """The newest rate of each pair, with its change and source (the ticker reads this)."""
    query = parse_rate_query(
        request.args, tracked_currencies(), tuple(current_app.config["RATES_SOURCES"]), ("pairs", "source")
    )
    session = get_session()
    sources = served_sources(query)
    etag, modified = rate_validators(session, "latest", query.cache_key())
    return conditional_response(
        etag, modified,
        cached_body(etag, lambda: render_latest(select_latest(session, query.pairs, sources))),
        "application/json", RATES_CACHE, cors=True,
    )


def configured_sources() -> list[SourceInfo]:
    """Every known source: the enabled ones in priority order, then the others."""
    config = current_app.config
    enabled = list(config["RATES_SOURCES"])
    classes = all_source_classes()
    names = enabled + [name for name in classes if name not in enabled]
    urls = config["SOURCE_URLS"]
    return [
        SourceInfo(
            name=name, enabled=name in enabled, priority=enabled.index(name) + 1 if name in enabled else None,
            url=urls.get(name, ""), fallback_url=urls.get(f"{name}-fallback"),
            history_url=urls.get(f"{name}-history"),
            currencies=list(classes[name].currencies) if name in classes else [],
            attribution=classes[name].attribution if name in classes else "",
            terms=classes[name].terms if name in classes else "",
        )
        for name in names
    ]


@bp.get("/rates/sources.json")
def get_rate_sources() -> Response:
    """Each source: URL template, currencies, attribution, stored dates, last runs, held-back values."""
    parse_rate_query(request.args, tracked_currencies(), (), allowed=())  # no parameters allowed
    session = get_session()
    body = render_sources((info, select_source_status(session, info.name)) for info in configured_sources())
    # Runs change this document without touching the rates marker: the ETag comes from the bytes.
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    return response.make_conditional(request)
