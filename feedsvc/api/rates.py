"""Rate routes: /rates.csv, /rates.json, /rates.ndjson, /rates/latest.json, /rates/currencies.json,
/rates/sources.json, /rates/sources/<name>/missing.csv and /rates/sources/<name>/payloads/<date>."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, request, stream_with_context

from feedsvc.core.countries import tracked_currencies
from feedsvc.core.errors import BadRequestParams
from feedsvc.core.http import conditional_response, public_cache
from feedsvc.core.params import QueryParams, parse_day
from feedsvc.core.ratelimit import spend_expensive
from feedsvc.rates import (
    RATES_CACHE,
    SERIES_FORMATS,
    RateQuery,
    as_of_text,
    csv_filename,
    currency_listing,
    enabled_source_names,
    latest_text,
    missing_days,
    parse_csv_query,
    parse_json_query,
    parse_latest_query,
    rate_validators,
    remembered,
    render_currencies,
    render_missing,
    render_sources,
    resolve_query,
    series_text,
    servable_currencies,
    source_listing,
    source_names,
    source_payload,
    sources_etag,
)

bp = Blueprint("rates", __name__)

# Answers of at most this many rows (about 0.6 MB of JSON, 0.2 MB of CSV) are rendered once per rates
# revision and kept in the byte cache; a year of five pairs is 1,830 rows. Longer answers (20 years of
# five pairs is 36,500 rows, a few MB) stream, so a worker's memory stays flat and one client cannot fill
# the cache; they are rare, and a caching proxy in front keeps them by ETag.
CACHE_MAX_ROWS = 4000
RENDERED_TTL = 3600  # seconds a rendered answer stays in the byte cache (its key names its revision)
PERIOD_DAYS = {"day": 1, "week": 7, "month": 28, "year": 365}  # each group's shortest period


def stream_series(fmt: str, query: RateQuery) -> Iterator[str]:
    """Render the series lazily, in a session opened (and closed) while the response streams."""

    # The request's own session is closed when the view returns, before the body is sent.
    @stream_with_context
    def generate() -> Iterator[str]:
        yield from series_text(query, fmt)

    return generate()


def most_rows(query: RateQuery) -> int:
    """At most how many rows a resolved query answers: one per period and pair."""
    assert query.start is not None and query.end is not None, "resolve the range first"
    # Whole shortest periods, plus a partial one at each end of the range.
    return ((query.end - query.start).days // PERIOD_DAYS[query.group] + 2) * len(query.pairs)


def series_response(query: RateQuery, fmt: str) -> Response:
    """A 304, the cached bytes of a bounded answer, or a long answer streamed; in format ``fmt``."""
    mimetype = SERIES_FORMATS[fmt][0]
    etag, modified = rate_validators(fmt, query.cache_key())

    def build() -> bytes:
        spend_expensive()
        return "".join(series_text(query, fmt)).encode()

    def stream() -> Iterator[str]:
        spend_expensive()
        return stream_series(fmt, query)

    if most_rows(query) <= CACHE_MAX_ROWS:
        response = conditional_response(etag, modified, build, mimetype, RATES_CACHE, key=f"rates:{etag}",
                                        ttl=RENDERED_TTL, last_known=True, variant=query.cache_key())
    else:
        response = conditional_response(etag, modified, stream, mimetype, RATES_CACHE)
    if fmt == "csv":
        response.headers["Content-Disposition"] = f'attachment; filename="{csv_filename(query)}"'
    return response


def parsed_series(parse: Callable[..., RateQuery], **options: bool) -> RateQuery:
    """The request's series query, any servable pair allowed (the stored codes are read only if needed)."""
    return parse(request.args, tracked_currencies(), enabled_source_names(), servable_currencies, **options)


def resolved_series(parse: Callable[..., RateQuery]) -> RateQuery:
    """The request's series query with its dates resolved, once per rates revision and query string: on a
    warm answer parsing and resolving cost about as much as the rest of the view (bench/rates.py)."""
    # Today is in the key: an empty series' default range ends today (resolve_range).
    key = ("series", request.path, request.query_string, datetime.now(UTC).date())
    return remembered(key, lambda: resolve_query(parsed_series(parse)))


def cached_json(kind: str, query: RateQuery, render: Callable[[], str]) -> Response:
    """A small JSON answer rendered once per data revision (the ETag names it), then from the byte cache."""
    etag, modified = rate_validators(kind, query.cache_key())
    return conditional_response(etag, modified, lambda: render().encode(), "application/json", RATES_CACHE,
                                key=f"rates:{etag}", ttl=RENDERED_TTL, last_known=True,
                                variant=query.cache_key())


@bp.get("/rates.csv")
def get_rates_csv() -> Response:
    """Rate history as CSV (long or wide; days or periods)."""
    return series_response(resolved_series(parse_csv_query), "csv")


@bp.get("/rates.json")
def get_rates_json() -> Response:
    """Rate history as JSON, or NDJSON or CSV when the Accept header prefers them; with date=, the rate
    in force on that day per pair."""
    query = parsed_series(parse_json_query, as_of=True)
    if query.at is not None:
        return cached_json("as-of", query, lambda: as_of_text(query))
    types = {mimetype: fmt for fmt, (mimetype, _render) in SERIES_FORMATS.items()}
    fmt = types[request.accept_mimetypes.best_match(list(types), default="application/json")]
    response = series_response(resolve_query(query), fmt)
    response.headers["Vary"] = "Accept, Accept-Encoding"  # the ETag names the format too
    return response


@bp.get("/rates.ndjson")
def get_rates_ndjson() -> Response:
    """Rate history as NDJSON: one JSON row per line, as in /rates.json."""
    return series_response(resolved_series(parse_json_query), "ndjson")


@bp.get("/rates/latest.json")
def get_latest_rates() -> Response:
    """The newest rate of each pair (or the one in force on date=), with its change and source (the
    ticker reads this)."""
    query = parsed_series(parse_latest_query)
    return cached_json("latest", query, lambda: latest_text(query))


@bp.get("/rates/sources/<name>/missing.csv")
def get_missing_days(name: str) -> Response:
    """The publishing days missing from a source's stored range: ``date,weekday,status``."""
    QueryParams(request.args, ()).done()  # no parameters allowed
    if name not in source_names():
        abort(404, description=f"unknown source {name!r}; see /rates/sources.json")
    response = Response(render_missing(missing_days(name)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}_missing_days.csv"'
    response.headers["Cache-Control"] = public_cache(60)
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/rates/sources/<name>/payloads/<day>")
def get_source_payload(name: str, day: str) -> Response:
    """The bytes source ``name`` sent for its table of ``day``, as sent, with their digest (RFC 9530)."""
    QueryParams(request.args, ()).done()  # no parameters allowed
    if name not in source_names():
        abort(404, description=f"unknown source {name[:64]!r}; known: {', '.join(source_names())}")
    try:
        when = parse_day(day)
    except ValueError as exc:
        raise BadRequestParams(str(exc), {"date": [str(exc)]}) from None
    payload = source_payload(name, when)
    if payload is None:
        abort(404, description=f"no payload of {name} kept for {when}; see /rates/sources/{name}/missing.csv")
    response = Response(payload.body, content_type=payload.media_type or "application/octet-stream")
    response.headers["Content-Digest"] = payload.content_digest
    response.headers["Link"] = f'<{payload.url}>; rel="via"'  # where the source served it
    # The bank's bytes, not ours: never rendered on this origin, downloaded under a telling name.
    response.headers["Content-Disposition"] = f'attachment; filename="{name}_{when}.payload"'
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = public_cache(300)
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.set_etag(payload.sha256)
    response.last_modified = payload.fetched_at
    return response.make_conditional(request)


@bp.get("/rates/currencies.json")
def get_rate_currencies() -> Response:
    """Each stored currency code: its name, the sources publishing it, their dates and nominals."""
    QueryParams(request.args, ()).done()  # no parameters allowed
    etag, modified = rate_validators("currencies")
    # Read from the spans of the stored lines once per rates revision (the ETag names it).
    return conditional_response(etag, modified, lambda: render_currencies(currency_listing()).encode(),
                                "application/json", RATES_CACHE, key=f"rates:{etag}", ttl=RENDERED_TTL,
                                last_known=True, variant="currencies")


@bp.get("/rates/sources.json")
def get_rate_sources() -> Response:
    """Each source: URL template, currencies, attribution, stored dates, last runs, held-back values."""
    QueryParams(request.args, ()).done()  # no parameters allowed
    # Runs and the days each source answered move a marker of their own, which the ETag names too.
    etag = sources_etag()
    return conditional_response(etag, None, lambda: render_sources(source_listing()), "application/json",
                                public_cache(60), key=f"rates:{etag}", ttl=RENDERED_TTL)
