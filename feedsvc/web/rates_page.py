"""The /rates page: ticker, SVG chart of one or more pairs over a range, table and download links."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Response, render_template, request, url_for

from feedsvc.core.countries import tracked_currencies
from feedsvc.core.http import conditional_response, public_cache
from feedsvc.core.ratelimit import spend_expensive
from feedsvc.rates import (
    Pair,
    RateQuery,
    RateRow,
    attributions,
    format_rate,
    make_ticker_item,
    offered_pairs,
    parse_chart_query,
    rate_validators,
    resolve_query,
    series,
    servable_currencies,
    ticker,
)
from feedsvc.web.chart import NARROW, WIDE, Line, render_chart, render_legend

bp = Blueprint("rates_page", __name__, template_folder="templates")

DEFAULT_DAYS = 90  # a chart of one month says little; a quarter shows a trend
TABLE_ROWS = 400  # the newest rows; the download links carry the whole range
RENDERED_TTL = 3600  # seconds a rendered page stays in the byte cache (its key names the rates revision)


def pair_choices() -> list[str]:
    """Hints for the pairs field: the default X/USD pairs, then each country's common pairs as read
    locally (USD/KGS, EUR/KGS, ...), as far as the rates API serves them."""
    offered = [*offered_pairs(None, foreign_first=False),
               *(pair for currency in tracked_currencies() for pair in offered_pairs(currency))]
    return list(dict.fromkeys(map(str, offered)))


def download_links(query: RateQuery) -> dict[str, str]:
    """CSV, JSON and NDJSON URLs of exactly the pairs and range the page shows."""
    args = {"pairs": ",".join(map(str, query.pairs)), "from": query.start.isoformat(),
            "to": query.end.isoformat()}
    return {fmt: url_for(f"rates.get_rates_{fmt}", **args) for fmt in ("csv", "json", "ndjson")}


def chart_lines(rows: Sequence[RateRow], pairs: Sequence[Pair]) -> list[Line]:
    """One line per pair; with several pairs each is indexed to 100 at its first observation.

    KZT/USD (about 0.002) and USD/UZS (about 12,000) share no useful scale: indexed, every line shows
    its own relative moves on one axis, and the legend gives the real value that 100 stands for.
    """
    lines = []
    for pair in pairs:
        own = [row for row in rows if row.pair == pair]
        if len(pairs) == 1 or not own:
            lines.append(Line(str(pair), [(row.date, row.rate) for row in own]))
            continue
        first = own[0]
        label = f"{pair} (100 = {format_rate(first.rate, first.digits)} on {first.date})"
        lines.append(Line(label, [(row.date, row.rate * 100 / first.rate) for row in own]))
    return lines


def describe(rows: Sequence[RateRow], pairs: Sequence[Pair]) -> str:
    """The chart's text alternative: what is drawn, and each pair's first and last value."""
    indexed = ", each indexed to 100 at its first observation" if len(pairs) > 1 else ""
    names = ", ".join(f"1 {pair.base} in {pair.quote}" for pair in pairs)
    spans = []
    for pair in pairs:
        own = [row for row in rows if row.pair == pair]
        if own:
            spans.append(f"{pair} from {format_rate(own[0].rate, own[0].digits)} on {own[0].date}"
                         f" to {format_rate(own[-1].rate, own[-1].digits)} on {own[-1].date}")
    return f"Line chart of {names}{indexed}, {len(rows)} daily observations" + (
        "; " + "; ".join(spans) + "." if spans else ".")


def render_rates_page(query: RateQuery) -> str:
    """Query the series and the ticker, draw the chart (for wide and narrow screens), render the template."""
    spend_expensive()
    rows = list(series(query))
    names = ", ".join(map(str, query.pairs))
    title = f"{names} from {query.start} to {query.end}"
    newest = ticker()
    lines, description = chart_lines(rows, query.pairs), describe(rows, query.pairs)
    charts = {name: render_chart(lines, title, description, query.start, query.end, layout, f"chart-{name}")
              for name, layout in (("wide", WIDE), ("narrow", NARROW))}
    return render_template(
        "rates.html",
        query=query, names=names, choices=pair_choices(), ticker=newest,
        attributions=attributions(*(t.source for t in newest), *(r.source for r in rows)),
        charts=charts, legend=render_legend([line.label for line in lines]) if len(lines) > 1 else "",
        table=[make_ticker_item(row) for row in reversed(rows[-TABLE_ROWS:])],
        total=len(rows), links=download_links(query),
        # The page embeds (oEmbed) as a ticker of the pairs it shows.
        page_url=url_for("rates_page.show_rates", pairs=",".join(map(str, query.pairs))),
    )


@bp.get("/rates")
def show_rates() -> Response:
    """Latest rates, a chart and table of the pairs over a range, and download links for exactly that."""
    query = parse_chart_query(request.args, tracked_currencies(), servable_currencies)  # any servable pair
    query = resolve_query(query, DEFAULT_DAYS)
    etag, modified = rate_validators("page", query.cache_key())
    return conditional_response(etag, modified, lambda: render_rates_page(query), "text/html",
                                public_cache(300), key=f"page:{etag}", ttl=RENDERED_TTL,
                                variant=query.cache_key())
