"""CBU (UZS): parse on the real file, and fetch from a local server at the bank's URL layout."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from table_lines import line, usd

from feedsvc.rates.sources.base import NoData, Observation, SourceError
from feedsvc.rates.sources.cbu import CBU

DAY = date(2026, 4, 1)
FILE = "cbu/json_all_2026-04-01.json"
TIMEOUT = (2.0, 5.0)


@pytest.fixture
def real(upstream) -> bytes:
    return upstream(FILE)


def with_usd(real: bytes, **changes: object) -> bytes:
    """The real file with fields of its USD row changed."""
    rows = json.loads(real)
    for row in rows:
        if row["Ccy"] == "USD":
            row.update(changes)
    return json.dumps(rows).encode()


def test_parse_takes_the_usd_row_exactly_from_strings(real):
    assert b'"Rate":"12194.21"' in real  # every value is a string upstream
    table = CBU("").parse(real, DAY)
    assert usd(table) == Observation(DAY, "USD", "UZS", Decimal("12194.21"))
    assert str(usd(table).value) == "12194.21"


def test_parse_divides_by_nominal_keeping_every_digit(real):
    payload = with_usd(real, Nominal="10", Rate="121942.10")
    assert str(usd(CBU("").parse(payload, DAY)).per_unit) == "12194.210"


def test_parse_returns_every_row_as_published_the_bad_tmt_row_too(real):
    # This file's TMT row (4037.68) is a real upstream error, but it is what the bank published: it is
    # stored as such (it is not a line the X/USD series reads; the guards judge it as a line of CBU's).
    table = CBU("").parse(real, DAY)
    assert len(table.observations) == 75 and table.refused == []
    assert line(table, "TMT") == Observation(DAY, "TMT", "UZS", Decimal("4037.68"))
    assert line(table, "IRR").nominal == 10


def test_parse_of_another_day_is_no_data(real):
    # Holidays and future dates answer the last rate under its own date.
    with pytest.raises(NoData):
        CBU("").parse(real, date(2026, 4, 4))


@pytest.mark.parametrize(
    "changes",
    [{"Rate": 12194.21}, {"Nominal": 1}, {"Rate": "0"}, {"Rate": "-1"}, {"Rate": "NaN"}, {"Rate": None},
     {"Date": "2026-04-01"}, {"Ccy": "usd"}],
    ids=["number rate", "number nominal", "zero", "negative", "nan", "null", "iso date", "lower-case code"],
)
def test_parse_refuses_an_unusable_usd_row_alone(real, changes):
    table = CBU("").parse(with_usd(real, **changes), DAY)
    assert "USD" not in {obs.currency for obs in table.observations} and len(table.observations) == 74
    assert len(table.refused) == 1


@pytest.mark.parametrize("body", [b"{}", b"[]", b'["USD"]', b"null", b'{"Ccy": "USD"}'])
def test_parse_refuses_other_json_shapes(body):
    with pytest.raises(SourceError):
        CBU("").parse(body, DAY)


def test_parse_refuses_broken_bodies(real, spoil):
    with pytest.raises(SourceError):
        CBU("").parse(spoil(real), DAY)


def test_fetch_and_parse_from_the_bank_url_layout(httpserver, local_template, real, http):
    httpserver.expect_request("/en/arkhiv-kursov-valyut/json/all/2026-04-01/").respond_with_data(
        real, content_type="application/json"
    )
    source = CBU(local_template("cbu"))
    assert usd(source.parse(source.fetch(http, DAY, TIMEOUT), DAY)).value == Decimal("12194.21")


def test_fetch_404_is_no_data(httpserver, local_template, http):
    path = "/en/arkhiv-kursov-valyut/json/all/2026-04-04/"
    httpserver.expect_request(path).respond_with_data("", status=404)
    with pytest.raises(NoData):
        CBU(local_template("cbu")).fetch(http, date(2026, 4, 4), TIMEOUT)
