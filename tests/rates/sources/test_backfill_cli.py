"""``feedsvc rates backfill --source <bank>`` against a local server replaying the bank stores its values."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateObservation, RateSourceDay
from feedsvc.rates.sources import default_urls

FAST_HTTP = {"HTTP_BACKOFF": 0, "HTTP_RETRIES": 0, "HTTP_CONNECT_TIMEOUT": 2.0, "HTTP_READ_TIMEOUT": 5.0}

# source, (local path, query) served with the recorded file, the day, its currency and the bank's value
CASES = [
    ("nbk", "/rss/get_rates.cfm", "fdate=01.04.2026", "nbk/get_rates_fdate_01.04.2026.xml",
     date(2026, 4, 1), "KZT", "478.77"),
    ("nbt", "/en/kurs/export_xml.php", "date=2026-05-18&export=xmlout", "nbt/export_xml_2026-05-18.xml",
     date(2026, 5, 18), "TJS", "9.3450"),
    ("cbu", "/en/arkhiv-kursov-valyut/json/all/2026-04-01/", "", "cbu/json_all_2026-04-01.json",
     date(2026, 4, 1), "UZS", "12194.21"),
    ("cbt", "/kurs/2026/20052026.xml", "", "cbt/kurs_2026_20052026.xml",
     date(2026, 5, 20), "TMT", "3.5"),
]


def stored(app: Flask, source: str) -> list[tuple[date, str, str]]:
    """Every observation of ``source`` as (date, currency, value exactly as stored)."""
    usd_lines = (RateObservation.source == source, RateObservation.currency == "USD")
    query = select(RateObservation).where(*usd_lines).order_by(RateObservation.date)
    with Session(app.extensions["feedsvc.engine"]) as session:
        return [(row.date, row.quote, str(row.value)) for row in session.scalars(query)]


def days_marked(app: Flask, source: str, status: str) -> list[date]:
    query = select(RateSourceDay.date).where(RateSourceDay.source == source, RateSourceDay.status == status)
    with Session(app.extensions["feedsvc.engine"]) as session:
        return sorted(session.scalars(query))


def bank_app(app_factory, local_template, name: str, *more_urls: str) -> Flask:
    """An app with only source ``name`` enabled, its URL templates pointed at the local server."""
    urls = {**default_urls(), **{url: local_template(url) for url in (name, *more_urls)}}
    return app_factory(RATES_SOURCES=(name,), SOURCE_URLS=urls, **FAST_HTTP)


def history_query(start: date, end: date) -> str:
    """The query string NBKR's history page is asked with for ``start``–``end``, as the bank expects it."""
    return (
        f"item=1562&lang=ENG&valuta_id=15&beg_day={start:%d}&beg_month={start:%m}&beg_year={start:%Y}"
        f"&end_day={end:%d}&end_month={end:%m}&end_year={end:%Y}"
    )


def backfill(app: Flask, source: str, start: date, end: date, *extra: str) -> str:
    args = ["rates", "backfill", "--source", source, "--from", f"{start}", "--to", f"{end}", *extra]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("name", "path", "query", "file", "day", "currency", "value"), CASES,
                         ids=[case[0] for case in CASES])
def test_backfill_stores_exactly_the_banks_value(app_factory, httpserver, local_template, upstream,
                                                  name, path, query, file, day, currency, value):
    httpserver.expect_request(path, query_string=query).respond_with_data(upstream(file))
    app = bank_app(app_factory, local_template, name)
    # The whole table: NBK 39 lines, NBT 36, CBU 75, CBT 48.
    lines = {"nbk": 39, "nbt": 36, "cbu": 75, "cbt": 48}[name]
    assert f"{name}: {lines} rows written, 1 days checked" in backfill(app, name, day, day)
    assert stored(app, name) == [(day, currency, value)]
    assert "0 rows written, 0 days checked" in backfill(app, name, day, day)  # done days are not asked again
    assert len(httpserver.log) == 1


def test_cbt_sundays_404_are_days_without_data(app_factory, httpserver, local_template, upstream):
    wednesday = upstream("cbt/kurs_2026_20052026.xml")
    httpserver.expect_request("/kurs/2026/20052026.xml").respond_with_data(wednesday)
    httpserver.expect_request("/kurs/2026/24052026.xml").respond_with_data("Not Found", status=404)
    app = bank_app(app_factory, local_template, "cbt")
    backfill(app, "cbt", date(2026, 5, 20), date(2026, 5, 20))
    assert "cbt: 0 rows written, 1 days checked" in backfill(app, "cbt", date(2026, 5, 24), date(2026, 5, 24))
    assert stored(app, "cbt") == [(date(2026, 5, 20), "TMT", "3.5")]
    assert days_marked(app, "cbt", "none") == [date(2026, 5, 24)]


def test_nbkr_backfill_reads_the_history_page_in_one_request(app_factory, httpserver, local_template,
                                                             upstream):
    page = upstream("nbkr/history_usd_2005-06_fragment.html")
    query = history_query(date(2005, 6, 1), date(2005, 6, 30))
    httpserver.expect_request("/index1.jsp", query_string=query).respond_with_data(page)
    app = bank_app(app_factory, local_template, "nbkr", "nbkr-history")
    output = backfill(app, "nbkr", date(2005, 6, 1), date(2005, 6, 30), "--currencies", "USD")
    assert "nbkr: 4 rows written, 30 days checked" in output
    assert stored(app, "nbkr") == [
        (date(2005, 6, 4), "KGS", "40.9879"),
        (date(2005, 6, 11), "KGS", "41.0511"),
        (date(2005, 6, 18), "KGS", "41.0685"),
        (date(2005, 6, 25), "KGS", "40.9614"),
    ]
    assert len(httpserver.log) == 1


def test_nbkr_backfill_over_a_year_asks_chunks_of_at_most_365_days(app_factory, httpserver, local_template,
                                                                    upstream):
    page = upstream("nbkr/history_usd_2005-06_fragment.html")
    for start, end, body in [(date(2004, 6, 1), date(2005, 5, 31), page.replace(b".2005<", b".2004<")),
                             (date(2005, 6, 1), date(2005, 6, 30), page)]:
        query = history_query(start, end)
        httpserver.expect_request("/index1.jsp", query_string=query).respond_with_data(body)
    app = bank_app(app_factory, local_template, "nbkr", "nbkr-history")
    output = backfill(app, "nbkr", date(2004, 6, 1), date(2005, 6, 30), "--currencies", "USD")
    assert "nbkr: 8 rows written, 395 days checked" in output
    asked = [request.args for request, _ in httpserver.log]
    spans = [
        (date(int(a["beg_year"]), int(a["beg_month"]), int(a["beg_day"])),
         date(int(a["end_year"]), int(a["end_month"]), int(a["end_day"])))
        for a in asked
    ]
    assert spans == [(date(2004, 6, 1), date(2005, 5, 31)), (date(2005, 6, 1), date(2005, 6, 30))]
    assert len(stored(app, "nbkr")) == 8
