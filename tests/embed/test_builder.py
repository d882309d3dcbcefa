"""The /embed builder: snippets rendered server-side (works without JS), public URL, bad input."""

from __future__ import annotations

import html
import re

import pytest


def snippet(page: str, key: str) -> str:
    match = re.search(rf'<textarea id="snippet-{key}"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, key
    return html.unescape(match.group(1))


def test_default_snippets(client):
    response = client.get("/embed")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    # each script sits in a box as tall as the widget will be (five headlines; five pairs, one per line)
    assert snippet(page, "script") == (
        '<div style="display:flow-root;min-height:421px"><script src="http://localhost/embed/v1/headlines.js"'
        ' data-country="kazakhstan" async></script></div>'
    )
    assert snippet(page, "iframe").startswith(
        '<iframe src="http://localhost/embed/kazakhstan?limit=5&amp;theme=auto" title="Headlines"'
    )
    assert snippet(page, "ticker") == ('<div style="display:flow-root;min-height:172px"><script '
                                       'src="http://localhost/embed/v1/rates.js" async></script></div>')
    for key in ("iframe", "ticker_iframe"):
        assert 'style="border:0"' in snippet(page, key)
        assert snippet(page, key).endswith('<script src="http://localhost/embed/v1/frame.js" async></script>')
    assert snippet(page, "ticker_iframe").startswith(
        '<iframe src="http://localhost/embed/rates?theme=auto" title="Exchange rates"'
    )
    assert "<script>" not in page  # the page's CSP allows no inline script
    assert 'src="/embed/static/builder.js"' in page


def test_form_get_rerenders_snippets(client):
    page = client.get("/embed?country=kyrgyzstan&tag=economy&limit=8&theme=dark").get_data(as_text=True)
    assert snippet(page, "script") == (
        '<div style="display:flow-root;min-height:634px"><script src="http://localhost/embed/v1/headlines.js"'
        ' data-country="kyrgyzstan" data-tag="economy" data-limit="8" data-theme="dark" async></script></div>'
    )
    assert "/embed/kyrgyzstan?limit=8&amp;theme=dark&amp;tag=economy" in snippet(page, "iframe")
    assert snippet(page, "ticker").endswith(
        '<script src="http://localhost/embed/v1/rates.js" data-theme="dark" async></script></div>'
    )
    assert '<option value="kyrgyzstan" selected>' in page
    assert 'src="/embed/kyrgyzstan?limit=8&amp;theme=dark&amp;tag=economy"' in page  # preview iframe


@pytest.fixture
def public_client(app_factory):
    return app_factory(PUBLIC_URL="https://news.example.org").test_client()


def test_snippets_use_public_url(public_client):
    page = public_client.get("/embed?country=all").get_data(as_text=True)
    script = snippet(page, "script")
    assert 'src="https://news.example.org/embed/v1/headlines.js" data-country="all"' in script
    assert 'src="https://news.example.org/embed/all?' in snippet(page, "iframe")


@pytest.mark.parametrize("query", ["country=narnia", "limit=0", "theme=neon", "tag=a b", "x=1"])
def test_bad_builder_parameters_are_400(client, query):
    response = client.get(f"/embed?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_builder_assets(client):
    for name in ("builder.js", "builder.css"):
        with client.get(f"/embed/static/{name}") as response:  # a file response: close it
            assert response.status_code == 200


def test_a_countrys_ticker_in_the_orientation_chosen(client):
    # Each pair the builder offers is one the rates API serves: with nothing stored, USD against the som.
    page = client.get("/embed?ticker=kyrgyzstan").get_data(as_text=True)
    assert snippet(page, "ticker") == (
        '<div style="display:flow-root;min-height:68px"><script src="http://localhost/embed/v1/rates.js" '
        'data-pairs="USD/KGS" async></script></div>')
    assert snippet(page, "ticker_iframe").startswith(
        '<iframe src="http://localhost/embed/rates?pairs=USD/KGS&amp;theme=auto" title="Exchange rates"')
    assert 'data-pairs="USD/KGS"' in page and 'src="/embed/rates?pairs=USD/KGS&amp;theme=auto"' in page
    page = client.get("/embed?ticker=kyrgyzstan&orientation=local-first&theme=dark").get_data(as_text=True)
    assert 'data-pairs="KGS/USD" data-theme="dark"' in snippet(page, "ticker")
    assert '<input type="radio" name="orientation" value="local-first" checked>' in page


def test_every_countrys_currency_against_usd_either_way(client):
    page = client.get("/embed?ticker=all").get_data(as_text=True)
    assert 'data-pairs="USD/KZT,USD/KGS,USD/TJS,USD/TMT,USD/UZS"' in snippet(page, "ticker")
    assert 'min-height:172px' in snippet(page, "ticker")  # five lines, as the default ticker
    page = client.get("/embed?ticker=all&orientation=local-first").get_data(as_text=True)
    assert 'data-pairs="KZT/USD,KGS/USD,TJS/USD,TMT/USD,UZS/USD"' in snippet(page, "ticker")
    # The form lists what each choice shows.
    assert '<option value="kazakhstan">Kazakhstan: USD/KZT</option>' in page


@pytest.mark.parametrize("query", ["ticker=narnia", "orientation=sideways", "ticker=kgs"])
def test_bad_ticker_choices_are_400(client, query):
    response = client.get(f"/embed?{query}")
    assert response.status_code == 400 and response.mimetype == "text/html"


def test_the_common_pairs_of_a_country_once_its_bank_published_them(client, bank_tables):
    page = client.get("/embed?ticker=kyrgyzstan").get_data(as_text=True)
    assert snippet(page, "ticker") == (
        '<div style="display:flow-root;min-height:146px"><script src="http://localhost/embed/v1/rates.js" '
        'data-pairs="USD/KGS,EUR/KGS,RUB/KGS,CNY/KGS" async></script></div>')
    assert ('<option value="kyrgyzstan" selected>Kyrgyzstan: USD/KGS, EUR/KGS, RUB/KGS, CNY/KGS</option>'
            in page)
    page = client.get("/embed?ticker=kyrgyzstan&orientation=local-first").get_data(as_text=True)
    assert 'data-pairs="KGS/USD,KGS/EUR,KGS/RUB,KGS/CNY"' in snippet(page, "ticker")
    frame = snippet(page, "ticker_iframe")
    assert "/embed/rates?pairs=KGS/USD,KGS/EUR,KGS/RUB,KGS/CNY&amp;theme=auto" in frame
    # What the ticker will show: the bank's own lines, either way round.
    latest = client.get("/rates/latest.json?pairs=RUB/KGS,KGS/RUB").get_json()["rates"]
    assert [(r["pair"], r["rate"], r["source"]) for r in latest] == [
        ("RUB/KGS", "1.22630", "nbkr"), ("KGS/RUB", "0.815461", "nbkr")]


def test_options_list_every_code_pairs_accepts(client, bank_tables):
    currencies = client.get("/embed/v1/options.json").get_json()["currencies"]
    assert currencies[:6] == ["KZT", "KGS", "TJS", "TMT", "UZS", "USD"]
    assert {"RUB", "EUR", "CNY", "AMD"} <= set(currencies) and len(currencies) == len(set(currencies))
