"""NBT's terms ask for its attribution ("www.nbt.tj") wherever its rates are shown: the home ticker, the
rates iframe, the data of the rates.js widget and /rates credit each source whose values they show."""

from __future__ import annotations

import pytest

from feedsvc.rates import attributions

NBT = "www.nbt.tj (National Bank of Tajikistan)"


@pytest.fixture
def demo_client(app, runner):
    """A client of an app with the demo data (currency-api's history, the TMT peg and NBT's TJS table)."""
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app.test_client()


def test_nbt_values_come_with_nbt_attribution(demo_client) -> None:
    latest = demo_client.get("/rates/latest.json?pairs=TJS/USD&source=nbt").get_json()
    assert [row["source"] for row in latest["rates"]] == ["nbt"]
    assert latest["sources"] == [NBT]


def test_every_ticker_credits_the_sources_it_shows(app, demo_client) -> None:
    latest = demo_client.get("/rates/latest.json").get_json()
    with app.app_context():
        expected = attributions(*(row["source"] for row in latest["rates"]))
    assert latest["sources"] == expected and len(expected) == 2  # currency-api and the peg here
    for path in ("/", "/embed/rates", "/rates"):
        page = demo_client.get(path).get_data(as_text=True)
        assert all(source in page for source in expected), path
    only_kzt = demo_client.get("/embed/rates?pairs=KZT/USD").get_data(as_text=True)
    assert expected[0] in only_kzt and expected[1] not in only_kzt  # the peg is TMT's only
