"""NBKR (KGS): today's file and the history page, parsed on the real files and fetched locally."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from table_lines import line, refused_codes, usd

from feedsvc.rates.sources.base import NoData, Observation, SourceError
from feedsvc.rates.sources.nbkr import NBKR
from feedsvc.rates.sources.nbkr_weekly import NBKRWeekly

DAY = date(2026, 5, 24)  # the file's Date: Bishkek's day (UTC+6), fetched 23:51 UTC on 23 May
TIMEOUT = (2.0, 5.0)
HISTORY = [
    (date(2005, 6, 4), "40.9879"),
    (date(2005, 6, 11), "41.0511"),
    (date(2005, 6, 18), "41.0685"),
    (date(2005, 6, 25), "40.9614"),
]


@pytest.fixture
def daily(upstream) -> bytes:
    return upstream("nbkr/daily.xml")


@pytest.fixture
def history(upstream) -> bytes:
    return upstream("nbkr/history_usd_2005-06_fragment.html")


def test_parse_reads_the_decimal_comma_exactly(daily):
    assert b"<Value>87,4500</Value>" in daily
    table = NBKR("").parse(daily, DAY)
    assert usd(table) == Observation(DAY, "USD", "KGS", Decimal("87.4500"))
    assert str(usd(table).value) == "87.4500"


def test_parse_reads_windows_1251(daily):
    assert daily.startswith(b'<?xml version="1.0" encoding="windows-1251" ?>')
    named = daily.decode("cp1251").replace("Daily Exchange Rates", "Ежедневные курсы валют")
    cyrillic = named.encode("cp1251")
    assert "Ежедневные".encode("cp1251") in cyrillic
    assert NBKR("").parse(cyrillic, DAY) == NBKR("").parse(daily, DAY)


def test_parse_divides_by_nominal_keeping_every_digit(daily):
    usd_line = b"<Nominal>1</Nominal>\n<Value>87,4500</Value>"
    assert daily.count(usd_line) == 1
    payload = daily.replace(usd_line, b"<Nominal>10</Nominal><Value>874,5000</Value>")
    assert str(usd(NBKR("").parse(payload, DAY)).per_unit) == "87.45000"


def test_parse_returns_the_five_daily_lines(daily):
    table = NBKR("").parse(daily, DAY)
    assert [obs.currency for obs in table.observations] == ["USD", "EUR", "CNY", "KZT", "RUB"]
    assert line(table, "KZT") == Observation(DAY, "KZT", "KGS", Decimal("0.1859"))


def test_daily_file_of_another_day_is_no_data(daily):
    # daily.xml has no date parameter: it always serves today, so any other day gets no value from it.
    with pytest.raises(NoData):
        NBKR("").parse(daily, DAY - timedelta(days=1))


def test_weekly_file_is_another_table_with_its_own_date_and_validity(upstream):
    weekly = upstream("nbkr/weekly.xml")
    table = NBKRWeekly("").parse(weekly, DAY)  # fetched on the 24th: the table of the 23rd, valid 7 days
    assert len(table.observations) == 40 and table.refused == []
    assert line(table, "GBP") == Observation(date(2026, 5, 23), "GBP", "KGS", Decimal("117.4147"), 1, 7)
    assert "USD" not in {obs.currency for obs in table.observations}
    assert line(table, "BYR").quote == "KGS"  # a withdrawn code, stored as the bank wrote it
    with pytest.raises(NoData):
        NBKRWeekly("").parse(weekly, date(2026, 5, 30))  # past its validity
    with pytest.raises(NoData):
        NBKRWeekly("").parse(weekly, date(2026, 5, 22))  # before it was published


def test_parse_refuses_broken_bodies(daily, spoil):
    with pytest.raises(SourceError):
        NBKR("").parse(spoil(daily), DAY)


@pytest.mark.parametrize("value", [b"0,0000", b"-87,4500", b"NaN", b"", b"87,45,00", b"87.4500,1"])
def test_parse_refuses_an_unusable_value_for_its_currency_alone(daily, value):
    payload = daily.replace(b"<Value>87,4500</Value>", b"<Value>%s</Value>" % value)
    table = NBKR("").parse(payload, DAY)
    assert refused_codes(table) == ["USD"] and len(table.observations) == 4


def test_parse_range_reads_every_history_row_oldest_first(history):
    observations = NBKR("").parse_range(history).observations
    assert [(o.date, str(o.value)) for o in observations] == HISTORY
    assert {(o.currency, o.quote, o.nominal) for o in observations} == {("USD", "KGS", 1)}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><body>Error 500</body></html>",
        b"<table></table>",
        b"<table><tr><td><!--date-->25.06.2005<!--date--></td></tr></table>",
        b"<!--date-->25.06.2005<!--date--><!--date-->18.06.2005<!--date--><!--value-->1,0<!--value-->",
        b"<!--date-->31.06.2005<!--date--><!--value-->40,9614<!--value-->",
        b"<!--date-->25.06.2005<!--date--><!--value-->n/a<!--value-->",
    ],
    ids=["empty", "no table", "no rows", "date without value", "misaligned", "bad date", "bad value"],
)
def test_parse_range_refuses_incomplete_pages(body):
    with pytest.raises(SourceError):
        NBKR("").parse_range(body)


def test_parse_range_reads_a_repeated_row_once_and_refuses_a_contradiction(history):
    row = b"<tr><td><!--date-->25.06.2005<!--date--></td><td><!--value-->40,9614<!--value--></td></tr>"
    assert row in history
    assert NBKR("").parse_range(history.replace(row, row + row)) == NBKR("").parse_range(history)
    with pytest.raises(SourceError, match="2005-06-25"):
        NBKR("").parse_range(history.replace(row, row + row.replace(b"40,9614", b"40,9615")))


def test_parse_range_refuses_a_truncated_page(history):
    with pytest.raises(SourceError):
        NBKR("").parse_range(history[: history.index(b"<!--value-->41,0685") + 14])


def test_fetch_range_refuses_more_than_365_days(local_template, http):
    source = NBKR(local_template("nbkr"), history_template=local_template("nbkr-history"))
    with pytest.raises(ValueError, match="365"):
        source.fetch_range(http, date(2024, 1, 1), date(2024, 12, 31), TIMEOUT)  # 366 days: a leap year


def test_fetch_and_parse_today_from_the_bank_url_layout(httpserver, local_template, daily, http):
    httpserver.expect_request("/XML/daily.xml", query_string="").respond_with_data(daily)
    source = NBKR(local_template("nbkr"))
    assert usd(source.parse(source.fetch(http, DAY, TIMEOUT), DAY)).value == Decimal("87.4500")


def test_fetch_and_parse_history_chunks_with_one_session(httpserver, local_template, history, http):
    source = NBKR(local_template("nbkr"), history_template=local_template("nbkr-history"))
    chunks = [(date(2004, 6, 1), date(2005, 5, 31)), (date(2005, 6, 1), date(2005, 6, 30))]  # 365 + 30 days
    for (start, end), body in zip(chunks, [history.replace(b".2005<", b".2004<"), history], strict=True):
        query = (
            f"item=1562&lang=ENG&valuta_id=15&beg_day={start:%d}&beg_month={start:%m}&beg_year={start:%Y}"
            f"&end_day={end:%d}&end_month={end:%m}&end_year={end:%Y}"
        )
        httpserver.expect_ordered_request("/index1.jsp", query_string=query).respond_with_data(body)
    observations = []
    for start, end in chunks:
        observations += source.parse_range(source.fetch_range(http, start, end, TIMEOUT)).observations
    httpserver.check_assertions()
    assert len(httpserver.log) == 2
    earlier = [(day.replace(year=2004), value) for day, value in HISTORY]
    assert [(o.date, str(o.value)) for o in observations] == earlier + HISTORY
    assert NBKR.min_interval >= 1  # the caller pauses this long between chunks


def test_history_404_is_no_data(httpserver, local_template, http):
    httpserver.expect_request("/index1.jsp").respond_with_data("", status=404)
    source = NBKR(local_template("nbkr"), history_template=local_template("nbkr-history"))
    with pytest.raises(NoData):
        source.fetch_range(http, date(2005, 6, 1), date(2005, 6, 30), TIMEOUT)
