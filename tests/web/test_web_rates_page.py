"""The /rates page and the ticker on a real app: chart, table, form, links, 400s, 304s."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from flask import Flask
from lxml import etree
from sqlalchemy.orm import Session

from feedsvc.core.changes import bump_markers
from feedsvc.core.models import RateObservation
from feedsvc.rates.served import recompute_all
from feedsvc.rates.service import ticker as get_ticker
from feedsvc.web.chart import Line, render_chart

NOW = datetime(2025, 5, 6, 12, tzinfo=UTC)


@pytest.fixture
def rates_app(app: Flask) -> Flask:
    """120 days of KZT and UZS from currency-api, KZT rising then falling."""
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        for i in range(120):
            day = date(2025, 1, 6) + timedelta(days=i)
            for currency, value in (("KZT", Decimal("500") + i % 7), ("UZS", Decimal("12936.68") + i)):
                session.add(RateObservation(source="currency-api", date=day, currency="USD", quote=currency,
                                            value=value, fetched_at=NOW))
        session.add(RateObservation(source="nbk", date=date(2025, 5, 5), currency="USD", quote="KZT",
                                    value=Decimal("501.50"), fetched_at=NOW))
        recompute_all(session, app.config["RATES_SOURCES"])  # inserted directly: materialise as ingest does
        bump_markers(session, ["rates"], NOW)
    return app


class Collector(HTMLParser):
    """Collect the links, svg text and table rows of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.rows = 0
        self.titles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "a":
            self.links.append(attrs.get("href", ""))
        if tag == "tr":
            self.rows += 1
        if tag == "li" and "title" in attrs:
            self.titles.append(attrs["title"])


def test_page_shows_chart_table_ticker_and_links(rates_app: Flask) -> None:
    response = rates_app.test_client().get("/rates?pair=UZS/USD&from=2025-04-01&to=2025-04-30")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    page = Collector()
    page.feed(html)
    assert "/rates.csv?pairs=UZS/USD&from=2025-04-01&to=2025-04-30" in page.links
    assert "/rates.json?pairs=UZS/USD&from=2025-04-01&to=2025-04-30" in page.links
    assert page.rows == 31  # header + 30 days
    svg = _chart(html)
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert svg.findtext("s:title", namespaces=ns) == "UZS/USD from 2025-04-01 to 2025-04-30"
    assert "30 daily observations" in svg.findtext("s:desc", namespaces=ns)
    labels = [t.text for t in svg.iterfind(".//s:text", ns)]
    assert "2025-04-01" in labels and "2025-04-30" in labels  # dates on the x axis
    assert any(label.startswith("0.0000") and "e" not in label for label in labels)  # plain-notation values
    assert len(svg.find("s:polyline", ns).get("points").split()) == 30
    # the ticker: KZT from NBK (first in priority) with its source on hover, and an arrow
    assert any(t.startswith("KZT/USD on 2025-05-05") and t.endswith("source: nbk") for t in page.titles)
    assert "▼" in html or "▲" in html
    assert 'name="pairs" value="UZS/USD"' in html
    assert "National Bank of Kazakhstan" in html and "fawazahmed0" in html  # attribution of what is shown
    # the CSV link downloads exactly the rows of the table
    csv_link = next(link for link in page.links if link.startswith("/rates.csv"))
    csv_lines = rates_app.test_client().get(csv_link).get_data(as_text=True).splitlines()
    assert len(csv_lines) - 1 == page.rows - 1 == 30


def test_page_defaults_and_conditional_get(rates_app: Flask) -> None:
    client = rates_app.test_client()
    response = client.get("/rates")
    assert 'value="2025-02-05"' in response.get_data(as_text=True)  # 90 days up to the newest date
    assert response.headers["Content-Security-Policy"]
    assert client.get("/rates", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("query", ["?pair=EUR/USD", "?from=2025-02-30", "?from=2025-05-01&to=2025-04-01",
                                   "?pair=KZT/USD&pair=KGS/USD", "?from=0001-01-01", "?to=9999-12-31",
                                   "?from=1900-01-01"])
def test_page_bad_parameters_answer_html_400(rates_app: Flask, query: str) -> None:
    response = rates_app.test_client().get("/rates" + query)
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_page_ignores_unknown_parameters(rates_app: Flask) -> None:
    # A page is shared with utm_* and the like; the names of the CSV (layout, group) mean nothing here.
    plain = rates_app.test_client().get("/rates?pair=KGS/USD")
    tagged = rates_app.test_client().get("/rates?pair=KGS/USD&utm_source=x&layout=wide&group=week")
    assert tagged.status_code == 200
    assert tagged.get_data() == plain.get_data()


def test_page_without_data(app: Flask) -> None:
    response = app.test_client().get("/rates")
    assert response.status_code == 200
    assert "No rates stored" in response.get_data(as_text=True)


def test_ticker(rates_app: Flask) -> None:
    with rates_app.app_context():
        ticker = get_ticker()
    assert [t.pair for t in ticker] == ["KZT/USD", "UZS/USD"]  # configured order; no data for the others
    kzt = ticker[0]
    assert (kzt.rate, kzt.source, kzt.date) == ("0.00199402", "nbk", "2025-05-05")
    assert (kzt.direction, kzt.arrow, kzt.change) == ("up", "▲", "+0.90%")  # 1/501.50 against 1/506


def test_ticker_template_renders_nothing_without_data(app: Flask) -> None:
    with app.test_request_context():
        from flask import render_template_string
        assert render_template_string('{% include "_ticker.html" %}').strip() == ""


def test_chart_of_a_flat_single_point_and_of_nothing() -> None:
    assert render_chart([], "t", "d") == ""
    assert render_chart([Line("TMT/USD", [])], "t", "d") == ""
    svg = render_chart([Line("TMT/USD", [(date(2025, 1, 1), Decimal("3.5"))])], "TMT", "one point")
    assert svg.startswith("<svg") and "<title" in svg and "2025-01-01" in svg


def _chart(html: str) -> etree._Element:
    """The page's first chart (the one drawn for wide screens)."""
    start = html.index('<svg class="rate-chart')
    return etree.fromstring(html[start: html.index("</svg>", start) + 6])


def test_chart_draws_through_short_gaps_and_leaves_long_ones_open_and_shaded() -> None:
    points = [(date(2025, 5, 1), Decimal("1.5")), (date(2025, 5, 2), Decimal("1.6")),
              (date(2025, 5, 9), Decimal("1.62")),  # a week later: drawn through
              (date(2025, 9, 1), Decimal("1.61")),  # alone between two long gaps: a dot
              (date(2025, 12, 24), Decimal("1.7")), (date(2025, 12, 25), Decimal("1.65"))]
    lines = [Line("x", points), Line("y", points)]
    chart = render_chart(lines, "t", "d", date(2025, 5, 1), date(2025, 12, 31))
    svg = etree.fromstring(str(chart))
    ns = {"s": "http://www.w3.org/2000/svg"}
    polylines = svg.findall("s:polyline", ns)
    assert [len(line.get("points").split()) for line in polylines] == [3, 2, 3, 2]
    assert len(svg.findall("s:circle", ns)) == 2  # the lone observation of each line, and no other dot
    bands = [rect.findtext("s:title", namespaces=ns) for rect in svg.findall("s:rect", ns)]
    assert bands == ["No data from 2025-05-09 to 2025-09-01", "No data from 2025-09-01 to 2025-12-24"]
    labels = [t.text for t in svg.iterfind(".//s:g[@class='x-axis']/s:text", ns)]
    assert labels[0] == "2025-05-01" and labels[-1] == "2025-12-31"


def test_the_narrow_chart_keeps_its_labels_readable_on_a_phone(rates_app: Flask) -> None:
    html = rates_app.test_client().get("/rates?pair=UZS/USD").get_data(as_text=True)
    start = html.index('<svg class="rate-chart chart-narrow')
    narrow = etree.fromstring(html[start: html.index("</svg>", start) + 6])
    # 360 units wide at 11 units a letter: on a 358 px screen the text stays about 11 px.
    assert narrow.get("viewBox") == "0 0 360 260" and narrow.get("font-size") == "11"
    dates = narrow.findall(".//{http://www.w3.org/2000/svg}g[@class='x-axis']/{http://www.w3.org/2000/svg}text")
    assert len(dates) == 3


class Table(HTMLParser):
    """The (date, pair, rate) of each row of the page's rates table, and its data links.

    A date cell is read from its ``<time datetime>``, a rate from its ``<data value>``: the text is for people
    ("1 May 2025", six significant digits).
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.cells: list[str] | None = None
        self.links: dict[str, str] = {}
        self.in_time = False

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "tr":
            self.cells = []
        if tag in ("time", "data") and self.cells is not None:
            # The exact rate is the cell's <data value>: the text shows six significant digits.
            self.cells.append(attrs["datetime"] if tag == "time" else attrs["value"])
            self.in_time = True
        if tag == "a" and attrs.get("href", "").startswith("/rates."):
            # The page's own links come first (the footer's "Rates as CSV" is the default range).
            self.links.setdefault(attrs["href"].split("?")[0].rsplit(".", 1)[1], attrs["href"])

    def handle_data(self, data: str) -> None:
        if self.cells is not None and data.strip() and not self.in_time:
            self.cells.append(data.strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("time", "data"):
            self.in_time = False
        if tag == "tr" and self.cells:
            self.rows.append(self.cells[:3])
        if tag == "tr":
            self.cells = None


def test_page_draws_one_indexed_line_per_pair_with_a_legend(rates_app: Flask) -> None:
    response = rates_app.test_client().get("/rates?pairs=KZT/USD,USD/UZS&from=2025-04-01&to=2025-04-30")
    html = response.get_data(as_text=True)
    svg = _chart(html)
    ns = {"s": "http://www.w3.org/2000/svg"}
    lines = svg.findall("s:polyline", ns)
    assert len(lines) == 2 and lines[0].get("stroke") != lines[1].get("stroke")
    # The legend is HTML beside the chart: it wraps on a narrow screen instead of running into itself.
    items = etree.HTML(html).xpath("//ul[@class='legend']/li")
    legend = [li.xpath("string()").strip() for li in items]
    assert [li.xpath("svg/line/@stroke")[0] for li in items] == [line.get("stroke") for line in lines]
    first = rates_app.test_client().get("/rates.json?pairs=KZT/USD,USD/UZS&from=2025-04-01&to=2025-04-01")
    assert legend == [f"{r['pair']} (100 = {r['rate']} on 2025-04-01)" for r in first.get_json()["rates"]]
    # Both lines start at 100, so both start at the same height, though 0.002 and 12,991 share no scale.
    assert lines[0].get("points").split()[0] == lines[1].get("points").split()[0]
    assert "style=" not in html  # the site's CSP forbids inline styles


def test_page_links_reproduce_what_it_shows(rates_app: Flask) -> None:
    client = rates_app.test_client()
    page = Table()
    page.feed(client.get("/rates?pairs=KZT/USD,UZS/USD,USD/KZT&from=2025-04-20&to=2025-05-05")
              .get_data(as_text=True))
    shown = sorted(tuple(row) for row in page.rows[1:])  # the table is newest first
    assert len(shown) == 3 * 16
    as_json = client.get(page.links["json"]).get_json()["rates"]
    assert sorted((r["date"], r["pair"], r["rate"]) for r in as_json) == shown
    as_csv = client.get(page.links["csv"]).get_data(as_text=True).splitlines()[1:]
    assert sorted(tuple(line.split(",")[:3]) for line in as_csv) == shown
    ndjson = client.get(page.links["ndjson"]).get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in ndjson] == as_json


def test_page_keeps_the_old_pair_parameter(rates_app: Flask) -> None:
    client = rates_app.test_client()
    old = client.get("/rates?pair=UZS/USD&from=2025-04-01&to=2025-04-30")
    new = client.get("/rates?pairs=UZS/USD&from=2025-04-01&to=2025-04-30")
    assert old.status_code == 200 and old.get_data() == new.get_data()


@pytest.mark.parametrize("query", ["?pairs=KZT/USD&pair=KGS/USD", "?pairs=KZT/USD,EUR/USD",
                                   "?pairs=KZT/USD&pairs=KGS/USD", "?pairs=KZT/USD,KZT/KZT",
                                   "?pairs=KZT/USD,KGS/USD,UZS/USD,TJS/USD,TMT/USD,USD/KZT,USD/KGS,USD/UZS,USD/TJS"])
def test_page_bad_pairs_answer_html_400(rates_app: Flask, query: str) -> None:
    response = rates_app.test_client().get("/rates" + query)
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "Traceback" not in response.get_data(as_text=True)


def test_table_reads_like_the_ticker_and_keeps_the_exact_value(rates_app: Flask) -> None:
    page = rates_app.test_client().get("/rates?pair=USD/UZS&from=2025-04-01&to=2025-04-01")
    html = page.get_data(as_text=True)
    row = etree.HTML(html).xpath("//table[@class='rates']/tbody/tr/td/data")[0]
    # Six significant digits as the ticker shows them; every published digit in the value and the downloads.
    assert (row.text, row.get("value")) == ("13021.7", "13021.68")
    assert row.getparent().get("title") == "USD/UZS on 2025-04-01 · source: currency-api"


def test_page_suggests_the_pairs_the_api_serves_and_reads_them_either_way(rates_app: Flask) -> None:
    client = rates_app.test_client()
    html = client.get("/rates?pairs=USD/KZT,UZS/USD&from=2025-04-01&to=2025-04-02").get_data(as_text=True)
    choices = etree.HTML(html).xpath("//datalist[@id='pair-choices']/option/@value")
    # The default ticker's pairs first, then each country's currency as read locally.
    assert choices == ["KZT/USD", "KGS/USD", "TJS/USD", "TMT/USD", "UZS/USD",
                       "USD/KZT", "USD/KGS", "USD/TJS", "USD/TMT", "USD/UZS"]
    assert all(client.get(f"/rates/latest.json?pairs={choice}").status_code == 200 for choice in choices)
    table = etree.HTML(html).xpath("//table[@class='rates']/tbody/tr/td[2]/text()")
    assert sorted(set(table)) == ["USD/KZT", "UZS/USD"]


def test_page_shows_any_pair_the_api_serves(app: Flask, bank_tables: None) -> None:
    client = app.test_client()
    html = client.get("/rates?pairs=RUB/KGS,KGS/RUB&from=2026-05-01&to=2026-05-31").get_data(as_text=True)
    rows = etree.HTML(html).xpath("//table[@class='rates']/tbody/tr")
    cells = [(row.xpath("td[2]/text()")[0], row.xpath("td[3]/data/@value")[0], row.xpath("td[5]/text()")[0])
             for row in rows]
    assert sorted(cells) == [("KGS/RUB", "0.815461", "nbkr"), ("RUB/KGS", "1.22630", "nbkr")]
    assert "National Bank of the Kyrgyz Republic" in html
    choices = etree.HTML(html).xpath("//datalist[@id='pair-choices']/option/@value")
    assert {"USD/KGS", "EUR/KGS", "RUB/KGS", "CNY/KGS", "RUB/KZT"} <= set(choices)
    assert client.get("/rates?pairs=RUB/ABC").status_code == 400
