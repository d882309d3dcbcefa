"""Backfill of the new currencies: the banks that answer a whole table per date ask nothing more; NBKR's
history is a page per currency, each backfilled on its own resumable track, bounded by --currencies and
counted by --plan."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateObservation, RateSourceDay
from feedsvc.rates.sources.nbkr import HISTORY_IDS

START, END = date(2005, 6, 1), date(2005, 6, 30)
EUR_PAGE = (b"<table><tr><td><!--date-->25.06.2005<!--date--></td><td><!--value-->49,5011<!--value-->"
            b"</td></tr></table>")


@pytest.fixture
def nbkr_app(app_factory, mirror, upstream_bytes, fast_http) -> Flask:
    """NBKR's history on the mirror: USD's recorded page, EUR's page, JPY's page (per 10 yen)."""
    usd = upstream_bytes("nbkr/history_usd_2005-06_fragment.html")
    jpy = EUR_PAGE.replace(b"49,5011", b"3,8215")
    pages = {HISTORY_IDS["USD"][0]: usd, HISTORY_IDS["EUR"][0]: EUR_PAGE, HISTORY_IDS["JPY"][0]: jpy}

    def page(request):  # noqa: ANN001
        from werkzeug import Response

        body = pages.get(int(request.args["valuta_id"]))
        return Response(body or b"", status=200 if body else 404)

    mirror.server.expect_request(urlsplit(mirror.template("nbkr-history")).path).respond_with_handler(page)
    return app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("nbkr",), **fast_http)


def lines(app: Flask) -> dict[tuple[str, date], tuple[str, int]]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        rows = session.scalars(select(RateObservation).where(RateObservation.source == "nbkr"))
        return {(row.currency, row.date): (str(row.value), row.nominal) for row in rows}


def backfill(app: Flask, *extra: str) -> str:
    result = app.test_cli_runner().invoke(args=["rates", "backfill", "--source", "nbkr", "--from", f"{START}",
                                                "--to", f"{END}", *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_each_currency_is_its_own_resumable_track_and_currencies_bounds_them(nbkr_app: Flask, mirror) -> None:
    output = backfill(nbkr_app, "--currencies", "usd,EUR")
    assert "nbkr: 4 rows written, 30 days checked" in output and "nbkr:EUR: 1 rows written, 30 days" in output
    assert lines(nbkr_app)[("EUR", date(2005, 6, 25))] == ("49.5011", 1)
    asked = [parse_qs(urlsplit(f"?{r.query_string.decode()}").query)["valuta_id"][0]
             for r, _ in mirror.server.log]
    assert asked == ["15", "20"]  # one request per currency for the month
    again = backfill(nbkr_app, "--currencies", "EUR,JPY")  # EUR is done: only JPY is asked
    assert "nbkr:EUR: 0 rows written, 0 days checked" in again and "nbkr:JPY: 1 rows written" in again
    assert lines(nbkr_app)[("JPY", date(2005, 6, 25))] == ("3.8215", 10)  # per 10 yen, as the bank quotes
    with Session(nbkr_app.extensions["feedsvc.engine"]) as session:
        tracks = set(session.scalars(select(RateSourceDay.source).distinct()))
    assert tracks == {"nbkr", "nbkr:EUR", "nbkr:JPY"}


def test_plan_counts_a_request_per_currency_and_year_and_refuses_unknown_ones(nbkr_app: Flask) -> None:
    plan = backfill(nbkr_app, "--plan")
    rows = {line.split()[0]: line.split() for line in plan.splitlines() if line.startswith("nbkr")}
    assert set(rows) == {"nbkr", *(f"nbkr:{c}" for c in HISTORY_IDS if c != "USD")}  # 45 currencies
    assert all(row[3:6] == ["30", "30", "1"] for row in rows.values())  # days, pending, one request each
    bounded = backfill(nbkr_app, "--plan", "--currencies", "EUR,RUB")
    assert re.findall(r"^nbkr:\w+", bounded, re.M) == ["nbkr:EUR", "nbkr:RUB"]
    refused = nbkr_app.test_cli_runner().invoke(args=["rates", "backfill", "--source", "nbkr", "--plan",
                                                      "--currencies", "EUR,XYZ"])
    assert refused.exit_code == 2 and "no history page of XYZ" in refused.output


def test_banks_with_a_table_per_date_need_no_extra_request(app_factory, mirror, upstream_bytes,
                                                           fast_http) -> None:
    day = date(2026, 4, 1)
    mirror.serve("nbk", day, upstream_bytes("nbk/get_rates_fdate_01.04.2026.xml"))
    mirror.answer_404_elsewhere()
    app = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("nbk",), **fast_http)
    plan = app.test_cli_runner().invoke(args=["rates", "backfill", "--source", "nbk", "--from", f"{day}",
                                              "--to", f"{day}", "--plan", "--currencies", "EUR"])
    assert re.search(r"^nbk\s+2026-04-01\s+2026-04-01\s+1\s+1\s+1\s", plan.output, re.M), plan.output
    output = app.test_cli_runner().invoke(args=["rates", "backfill", "--source", "nbk", "--from", f"{day}",
                                                "--to", f"{day}"]).output
    assert "nbk: 39 rows written, 1 days checked" in output and len(mirror.requested()) == 1


def test_a_day_kept_as_its_usd_line_alone_is_asked_again_for_its_whole_table(app_factory, mirror,
                                                                               upstream_bytes, fast_http):
    day = date(2026, 4, 1)
    mirror.serve("nbk", day, upstream_bytes("nbk/get_rates_fdate_01.04.2026.xml"))
    app = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("nbk",), **fast_http)
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():  # as migration 0013 leaves it
        session.add(RateObservation(source="nbk", date=day, currency="USD", quote="KZT",
                                    value=Decimal("478.77"), fetched_at=datetime(2026, 4, 1, 6, tzinfo=UTC)))
        session.add(RateSourceDay(source="nbk", date=day, status="partial",
                                  checked_at=datetime(2026, 4, 1, 6, tzinfo=UTC)))
    args = ["rates", "backfill", "--source", "nbk", "--from", f"{day}", "--to", f"{day}"]
    output = app.test_cli_runner().invoke(args=args).output
    assert "nbk: 38 rows written, 1 days checked" in output  # the USD line was there already
    assert "nbk: 0 rows written, 0 days checked" in app.test_cli_runner().invoke(args=args).output
