"""The home page carries the rates ticker, built from the stored observations."""

import re
from decimal import Decimal

from feedsvc.core.db import get_session
from feedsvc.rates.demo import load_demo_rates


def test_home_shows_every_tracked_pair_with_its_source(app, client):
    with app.app_context():
        session = get_session()
        assert load_demo_rates(session) > 0
        session.commit()
    html = client.get("/").get_data(as_text=True)
    for pair in ("KZT/USD", "KGS/USD", "TJS/USD", "TMT/USD", "UZS/USD"):
        assert f'<span class="pair">{pair}</span>' in html
    assert "source:" in html
    # digits for reading (six significant, never an exponent), the exact rate kept in the value
    shown = dict(re.findall(r'<data class="rate" value="([0-9.]+)" title="[0-9.]+">([0-9.]+)</data>', html))
    assert len(shown) == 5 and all(len(text.replace(".", "").lstrip("0")) == 6 for text in shown.values())
    assert all(abs(Decimal(exact) / Decimal(text) - 1) < Decimal("0.00001") for exact, text in shown.items())


def test_home_without_rates_has_no_ticker(client):
    assert 'class="ticker"' not in client.get("/").get_data(as_text=True)
