"""Rate routes: /rates.csv, /rates.json, /rates/latest.json, /rates/sources.json."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from flask import Blueprint, Response, request, stream_with_context

from feedsvc.cache import cached_bytes
from feedsvc.countries import tracked_currencies
from feedsvc.http import conditional_response
from feedsvc.params import QueryParams
from feedsvc.rates import service
from feedsvc.rates.params import RateQuery, parse_csv_query, parse_json_query, parse_latest_query
from feedsvc.rates.query import RateRow
from feedsvc.rates.render import csv_filename, render_csv, render_json, render_latest, render_sources

bp = Blueprint("rates", __name__)


def stream_series(render: Callable[[Iterable[RateRow], RateQuery], Iterator[str]],
                  query: RateQuery) -> Iterator[str]:
    """Render the series lazily, in a session opened (and closed) while the response streams."""

    # The request's own session is closed when the view returns, before the body is sent.
    @stream_with_context
    def generate() -> Iterator[str]:
        yield from render(service.series(query), query)

    return generate()


@bp.get("/rates.csv")
def get_rates_csv() -> Response:
    """Rate history as CSV (long or wide), streamed."""
    query = parse_csv_query(request.args, tracked_currencies(), service.enabled_sources())
    query = service.resolve_query(query)
    etag, modified = service.rate_validators("csv", query.cache_key())
    response = conditional_response(
        etag, modified, lambda: stream_series(render_csv, query), "text/csv", service.RATES_CACHE, cors=True,
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{csv_filename(query)}"'
    return response


@bp.get("/rates.json")
def get_rates_json() -> Response:
    """Rate history as JSON, streamed."""
    query = parse_json_query(request.args, tracked_currencies(), service.enabled_sources())
    query = service.resolve_query(query)
    etag, modified = service.rate_validators("json", query.cache_key())
    return conditional_response(
        etag, modified, lambda: stream_series(render_json, query), "application/json", service.RATES_CACHE,
        cors=True,
    )


@bp.get("/rates/latest.json")
def get_latest_rates() -> Response:
    """The newest rate of each pair, with its change and source (the ticker reads this)."""
    query = parse_latest_query(request.args, tracked_currencies(), service.enabled_sources())
    etag, modified = service.rate_validators("latest", query.cache_key())

    def render() -> bytes:
        return render_latest(service.latest_rows(query.pairs, query.source)).encode()

    # Rendered once per data revision (the ETag names it); later requests reuse the shared cache's bytes.
    return conditional_response(
        etag, modified, lambda: cached_bytes(f"rates:{etag}", render, ttl=3600), "application/json",
        service.RATES_CACHE, cors=True,
    )


@bp.get("/rates/sources.json")
def get_rate_sources() -> Response:
    """Each source: URL template, currencies, attribution, stored dates, last runs, held-back values."""
    QueryParams(request.args, ()).done()  # no parameters allowed
    # Runs change this document without touching the rates marker: the ETag comes from the bytes.
    response = Response(render_sources(service.source_listing()), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    return response.make_conditional(request)
