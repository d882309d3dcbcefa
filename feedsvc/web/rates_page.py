"""The /rates page: ticker, SVG chart of one pair over a range, table and download links."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, url_for

from feedsvc.countries import tracked_currencies
from feedsvc.http import conditional_response
from feedsvc.rates import service
from feedsvc.rates.constants import USD
from feedsvc.rates.params import Pair, RateQuery, parse_chart_query
from feedsvc.rates.render import format_rate
from feedsvc.rates.ticker import make_ticker_item
from feedsvc.web.chart import render_chart

bp = Blueprint("rates_page", __name__, template_folder="templates")

DEFAULT_DAYS = 90  # a chart of one month says little; a quarter shows a trend
TABLE_ROWS = 400  # the newest rows; the download links carry the whole range


def pair_choices(current: Pair) -> list[Pair]:
    """Each tracked currency against USD both ways, plus the shown pair if it is another cross."""
    tracked = tracked_currencies()
    choices = [Pair(c, USD) for c in tracked] + [Pair(USD, c) for c in tracked]
    return choices if current in choices else [current, *choices]


def download_links(query: RateQuery) -> dict[str, str]:
    """CSV and JSON URLs of exactly the pair and range the page shows."""
    args = {"pairs": str(query.pairs[0]), "from": query.start.isoformat(), "to": query.end.isoformat()}
    return {"csv": url_for("rates.get_rates_csv", **args), "json": url_for("rates.get_rates_json", **args)}


def render_rates_page(query: RateQuery) -> str:
    """Query the series and the ticker, draw the chart, render the template."""
    pair = query.pairs[0]
    rows = list(service.series(query))
    title = f"{pair} from {query.start} to {query.end}"
    description = (
        f"Line chart of 1 {pair.base} in {pair.quote}, {len(rows)} daily observations"
        + (f"; from {format_rate(rows[0].rate, rows[0].digits)} on {rows[0].date}"
           f" to {format_rate(rows[-1].rate, rows[-1].digits)} on {rows[-1].date}." if rows else ".")
    )
    ticker = service.ticker()
    return render_template(
        "rates.html",
        query=query, pair=pair, choices=pair_choices(pair),
        ticker=ticker,
        attributions=service.attributions(*(t.source for t in ticker), *(r.source for r in rows)),
        chart=render_chart(
            [(row.date, row.rate) for row in rows], title, description, query.start, query.end
        ),
        table=[make_ticker_item(row) for row in reversed(rows[-TABLE_ROWS:])],
        total=len(rows), links=download_links(query),
    )


@bp.get("/rates")
def show_rates() -> Response:
    """Latest rates, a chart and table of one pair over a range, and download links for it."""
    query = service.resolve_query(parse_chart_query(request.args, tracked_currencies()), DEFAULT_DAYS)
    etag, modified = service.rate_validators("page", query.cache_key())
    return conditional_response(
        etag, modified, lambda: render_rates_page(query), "text/html", "public, max-age=300"
    )
