"""The /rates page: ticker, SVG chart of one pair over a range, table and download links."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, current_app, render_template, request, url_for

from feedsvc.db import get_session
from feedsvc.http import conditional_response
from feedsvc.rates.params import USD, Pair, RateQuery, parse_rate_query, resolve_range
from feedsvc.rates.query import newest_date, select_series
from feedsvc.rates.render import format_rate
from feedsvc.rates.routes import rate_validators, tracked_currencies
from feedsvc.rates.sources import all_source_classes
from feedsvc.web.chart import render_chart
from feedsvc.web.ticker import get_ticker, make_ticker_item

bp = Blueprint("rates_page", __name__, template_folder="templates")

PAGE_PARAMS = ("pair", "from", "to")
DEFAULT_DAYS = 90  # a chart of one month says little; a quarter shows a trend
TABLE_ROWS = 400  # the newest rows; the download links carry the whole range


def pair_choices(current: Pair) -> list[Pair]:
    """Each tracked currency against USD both ways, plus the shown pair if it is another cross."""
    choices = [Pair(c, USD) for c in tracked_currencies()] + [Pair(USD, c) for c in tracked_currencies()]
    return choices if current in choices else [current, *choices]


def download_links(query: RateQuery) -> dict[str, str]:
    """CSV and JSON URLs of exactly the pair and range the page shows."""
    args = {"pairs": str(query.pairs[0]), "from": query.start.isoformat(), "to": query.end.isoformat()}
    return {"csv": url_for("rates.get_rates_csv", **args), "json": url_for("rates.get_rates_json", **args)}


def attributions(*source_fields: str) -> list[str]:
    """The attribution of every source named in ``source_fields`` (``nbk+currency-api`` names two)."""
    classes = all_source_classes()
    names = dict.fromkeys(name for field in source_fields for name in field.split("+"))
    # NBT, among others, requires its attribution wherever its rates are shown.
    return [classes[name].attribution or name if name in classes else name for name in names]


def render_rates_page(query: RateQuery, sources: tuple[str, ...]) -> str:
    """Query the series and the ticker, draw the chart, render the template."""
    session = get_session()
    pair = query.pairs[0]
    rows = list(select_series(session, query, sources))
    title = f"{pair} from {query.start} to {query.end}"
    description = (
        f"Line chart of 1 {pair.base} in {pair.quote}, {len(rows)} daily observations"
        + (f"; from {format_rate(rows[0].rate, rows[0].digits)} on {rows[0].date}"
           f" to {format_rate(rows[-1].rate, rows[-1].digits)} on {rows[-1].date}." if rows else ".")
    )
    ticker = get_ticker(session, current_app.config)
    return render_template(
        "rates.html",
        query=query, pair=pair, choices=pair_choices(pair),
        ticker=ticker, attributions=attributions(*(t.source for t in ticker), *(r.source for r in rows)),
        chart=render_chart(
            [(row.date, row.rate) for row in rows], title, description, query.start, query.end
        ),
        table=[make_ticker_item(row) for row in reversed(rows[-TABLE_ROWS:])],
        total=len(rows), links=download_links(query),
    )


@bp.get("/rates")
def show_rates() -> Response:
    """Latest rates, a chart and table of one pair over a range, and download links for it."""
    sources = tuple(current_app.config["RATES_SOURCES"])
    query = parse_rate_query(request.args, tracked_currencies(), sources, PAGE_PARAMS)
    session = get_session()
    query = resolve_range(
        query, newest_date(session, query.currencies, sources), datetime.now(UTC).date(), DEFAULT_DAYS
    )
    etag, modified = rate_validators(session, "page", query.cache_key())
    return conditional_response(
        etag, modified, lambda: render_rates_page(query, sources), "text/html", "public, max-age=300"
    )
