"""The embeds in a real browser (Debian's Chromium through Playwright), on a host page of another origin.

The host page's CSP allows our origin for scripts, fetches and frames only, and its own origin for
styles: the widgets must work with no inline script, no eval and no inline style on our side.
"""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path

import lxml.html
import pytest
from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
XSS_TITLE = '<img src=x onerror="window.__xss=1">'
# Typed as entities, a tag stays text at write time (it is stored and shown exactly as typed).
XSS_TITLE_INPUT = XSS_TITLE.replace("<", "&lt;").replace(">", "&gt;")
ENGLISH_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December")


@pytest.fixture
def articles(make_article) -> None:
    """Four Kazakhstan stories (one with a hostile-looking title) and two Kyrgyzstan ones."""
    make_article("Astana budget passes", countries=["kazakhstan"], day=1, tags=["economy"])
    make_article("Oldest Bishkek story", countries=["kyrgyzstan"], day=2, summary="Older summary")
    make_article(XSS_TITLE_INPUT, countries=["kazakhstan"], day=3)
    make_article("Almaty metro extends", countries=["kazakhstan"], day=4, tags=["economy"])
    make_article("Bishkek & Osh: new road", countries=["kyrgyzstan"], day=5, summary="A <b>summary</b>")
    make_article("Newest Kazakhstan story", countries=["kazakhstan"], day=6)


def feed_titles(client, country: str, limit: int, tag: str | None = None) -> list[str]:
    query = f"?limit={limit}" + (f"&tag={tag}" if tag else "")
    return [item["title"] for item in client.get(f"/feeds/{country}.json{query}").get_json()["items"]]


def frame_rates(client, pairs: str) -> list[str]:
    """The rates the server-rendered ticker iframe shows for ``pairs``."""
    page = lxml.html.fromstring(client.get(f"/embed/rates?pairs={pairs}").data)
    return [span.text_content() for span in page.xpath("//span[@class='rate']")]


WIDGETS = """
<div id="w1"><script src="SVC/embed/v1/headlines.js" data-country="kazakhstan" data-limit="3" async>
</script></div>
<div id="w2"><script src="SVC/embed/v1/headlines.js" data-country="kyrgyzstan" data-theme="dark"
  data-show-summary="true" async></script></div>
<div id="w3"><script src="SVC/embed/v1/headlines.js" data-country="kazakhstan" data-tag="economy"
  data-show-date="false" async></script></div>
<div id="t"><script src="SVC/embed/v1/rates.js" data-pairs="KGS/USD,KZT/USD,USD/UZS" async></script></div>
<iframe id="f" src="SVC/embed/kazakhstan?limit=3&amp;theme=dark" title="Headlines" width="600" height="260">
</iframe>
"""


def test_widgets_on_a_strict_host_page(page, host, service, client, articles, demo_rates):
    site, origin = host
    site.add("/", WIDGETS, service)
    page.set_viewport_size({"width": 1000, "height": 1100})  # everything in view for the screenshot
    page.context.add_cookies([{"name": "session", "value": "secret", "url": service}])
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(origin + "/")
    expect(page.locator("#w1 li")).to_have_count(3)
    expect(page.locator("#w2 li")).to_have_count(2)
    expect(page.locator("#w3 li")).to_have_count(2)
    assert page.locator("#w1 li a").all_text_contents() == feed_titles(client, "kazakhstan", 3)
    assert page.locator("#w2 li a").all_text_contents() == feed_titles(client, "kyrgyzstan", 5)
    assert page.locator("#w3 li a").all_text_contents() == feed_titles(client, "kazakhstan", 5, "economy")
    assert XSS_TITLE_INPUT in page.locator("#w1 li a").all_text_contents()
    assert page.evaluate("window.__xss") is None
    assert page.locator("#w1 img, #w2 img").count() == 0
    for link in page.locator("#w1 li a").all():
        assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener"
    expect(page.locator("#w1 time")).to_have_count(3)
    expect(page.locator("#w3 time")).to_have_count(0)
    for time in page.locator("#w1 time").all():  # the site's one date style, on the feed's UTC day
        day = date.fromisoformat(time.get_attribute("datetime")[:10])
        assert time.text_content() == f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"
    assert page.locator("#w2 p").all_text_contents() == ["A summary", "Older summary"]
    heading = page.locator("#w1 h2 a")
    expect(heading).to_have_text(client.get("/feeds/kazakhstan.json").get_json()["title"])
    assert heading.get_attribute("href") == service + "/kazakhstan"  # the feed's home_page_url
    assert page.evaluate("document.querySelectorAll('.feedsvc-embed').length") == 4
    assert all(page.evaluate("[...document.querySelectorAll('.feedsvc-embed')]"
                             ".map(h => h.shadowRoot !== null && h.shadowRoot.mode === 'open')"))
    _check_ticker(page, client)
    _check_frame(page, client)
    _check_styles(page)
    assert page.console_errors == []  # type: ignore[attr-defined]
    assert {request.url.split("/")[2] for request in requests} == {origin[7:], service[7:]}  # no third party
    fetches = [request for request in requests if request.resource_type == "fetch"]
    assert len(fetches) == 4
    assert all("cookie" not in request.all_headers() for request in fetches)
    scripts = [request for request in requests if request.resource_type == "script"]
    # the cookie was set, and goes with the script loads: leaving it out of fetches is the widgets' doing
    assert scripts and all("session=secret" in r.all_headers().get("cookie", "") for r in scripts)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "embeds.png"), full_page=True)


def _check_ticker(page: Page, client) -> None:
    expect(page.locator("#t li")).to_have_count(3)
    latest = client.get("/rates/latest.json?pairs=KGS/USD,KZT/USD,USD/UZS").get_json()["rates"]
    assert page.locator("#t .pair").all_text_contents() == ["KGS/USD", "KZT/USD", "USD/UZS"]
    shown = page.locator("#t .rate").all_text_contents()
    # six significant digits for reading, as the server-rendered ticker shows them (Decimal, not floats)
    assert shown == frame_rates(client, "KGS/USD,KZT/USD,USD/UZS")
    for text, rate in zip(shown, latest, strict=True):
        assert "e" not in text.lower() and len(text.replace(".", "").lstrip("0")) == 6
        assert abs(float(text) - float(rate["rate"])) <= abs(float(rate["rate"])) * 1e-5
    for item, rate, text in zip(page.locator("#t li").all(), latest, shown, strict=True):
        assert item.get_attribute("aria-label").startswith(f"{rate['pair']} {text}, ")
        assert item.get_attribute("title") == f"Source: {rate['source']}, {rate['date']}"
        change = item.locator(".chg")
        if rate["change_pct"] and rate["change_pct"] > 0:
            expect(change).to_have_text(f"\u25b2 {rate['change_pct']:.2f}%")
            expect(change).to_have_class("chg up")
            expect(change).to_have_css("color", "rgb(26, 127, 55)")
        elif rate["change_pct"] and rate["change_pct"] < 0:
            expect(change).to_have_text(f"\u25bc {-rate['change_pct']:.2f}%")
            expect(change).to_have_class("chg down")
            expect(change).to_have_css("color", "rgb(207, 34, 46)")


def _check_frame(page: Page, client) -> None:
    frame = page.frame_locator("#f")
    expect(frame.locator("li")).to_have_count(3)
    assert frame.locator("a").all_text_contents() == feed_titles(client, "kazakhstan", 3)
    assert frame.locator("body").evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(13, 17, 23)"


def _check_styles(page: Page) -> None:
    """Styles apply inside the shadow roots under the host's style-src, and leak neither way."""
    background = "e => getComputedStyle(e).backgroundColor"
    assert page.locator("#w1 section").evaluate(background) == "rgb(255, 255, 255)"
    assert page.locator("#w2 section").evaluate(background) == "rgb(13, 17, 23)"
    color = "e => getComputedStyle(e).color"
    assert page.locator("#w1 li a").first.evaluate(color) == "rgb(10, 88, 202)"  # not the host's red
    assert page.locator("#w1 section").evaluate("e => getComputedStyle(e).fontFamily").startswith("system-ui")
    assert page.locator("#host-li").evaluate(color) == "rgb(255, 0, 0)"  # ours didn't leak out


def test_service_unreachable_shows_a_notice(page, host, service, articles):
    site, origin = host
    site.add("/", WIDGETS, service)
    # The scripts load, then the network to the data endpoints fails (as when the service is down).
    page.route("**/feeds/**", lambda route: route.abort("connectionrefused"))
    page.route("**/rates/**", lambda route: route.abort("connectionrefused"))
    page.goto(origin + "/")
    expect(page.locator("#w1 [role=status]")).to_have_text("Headlines are unavailable right now.")
    expect(page.locator("#w2 [role=status]")).to_have_text("Headlines are unavailable right now.")
    expect(page.locator("#t [role=status]")).to_have_text("Rates are unavailable right now.")
    uncaught = [e for e in page.console_errors if "Failed to load resource" not in e]  # type: ignore[attr-defined]
    assert uncaught == []


def test_service_down_entirely_leaves_the_page_working(page, host, articles):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    site, origin = host
    site.add("/", WIDGETS, dead)
    page.goto(origin + "/")
    expect(page.locator("h1")).to_have_text("A host site")
    uncaught = [e for e in page.console_errors if "Failed to load resource" not in e]  # type: ignore[attr-defined]
    assert uncaught == []


MISTAKES = """
<div id="m1"><script src="SVC/embed/v1/headlines.js" data-country="atlantis" async></script></div>
<div id="m2"><script src="SVC/embed/v1/headlines.js" data-country="kazakhstan" data-limit="500" async>
</script></div>
<div id="m3"><script src="SVC/embed/v1/headlines.js" data-country="kazakhstan" data-tag="Bad Tag" async>
</script></div>
<div id="m4"><script src="SVC/embed/v1/rates.js" data-pairs="USD/EUR" async></script></div>
"""


def test_mistakes_are_explained(page, host, service, client):
    site, origin = host
    site.add("/", MISTAKES, service)
    warnings = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.goto(origin + "/")
    countries = ", ".join(client.get("/embed/v1/options.json").get_json()["countries"])
    expect(page.locator("#m1 [role=alert]")).to_have_text(
        f"data-country: no country \u201catlantis\u201d; allowed: {countries}")
    assert "kazakhstan" in countries and "all" in countries
    expect(page.locator("#m2 [role=alert]")).to_have_text("data-limit: must be a whole number from 1 to 100")
    expect(page.locator("#m3 [role=alert]")).to_contain_text("data-tag: ")
    pairs_error = client.get("/rates/latest.json?pairs=USD/EUR").get_json()["error"]["fields"]["pairs"]
    expect(page.locator("#m4 [role=alert]")).to_have_text("data-pairs: " + "; ".join(pairs_error))
    assert "EUR" in pairs_error[0] and "UZS" in pairs_error[0]  # names the mistake and what is allowed
    assert len(warnings) == 4 and all(w.startswith("feedsvc ") for w in warnings)  # one per widget
    assert page.locator("[role=status]").count() == 0  # not the outage notice


def test_iso_code_country(page, host, service, articles):
    site, origin = host
    site.add("/", '<script src="SVC/embed/v1/headlines.js" data-country="KG" '
                  'async></script>', service)
    page.goto(origin + "/")
    expect(page.locator("li")).to_have_count(3, timeout=5000)  # the host's own li and two headlines


def test_auto_theme_follows_the_reader(browser, host, service, articles):
    site, origin = host
    site.add("/", '<script src="SVC/embed/v1/headlines.js" data-country="kazakhstan" '
                  'async></script><script src="SVC/embed/v1/rates.js" data-theme="light" '
                  'async></script>', service)
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(origin + "/")
        expect(page.locator("section li")).to_have_count(4)
        backgrounds = page.locator("section").evaluate_all(
            "sections => sections.map(s => getComputedStyle(s).backgroundColor)")
        assert backgrounds == ["rgb(13, 17, 23)", "rgb(255, 255, 255)"]  # auto follows; light stays light
    finally:
        context.close()


def test_a_ticker_of_any_pair_the_api_serves(page, host, service, client, bank_tables):
    site, origin = host
    pairs = "RUB/KGS,KGS/RUB,EUR/KGS"
    ticker = '<div id="{}"><script src="SVC/embed/v1/rates.js" data-pairs="{}" async></script></div>'
    frame = f'<iframe id="f" src="SVC/embed/rates?pairs={pairs}" title="Rates" height="120"></iframe>'
    site.add("/", ticker.format("t", pairs) + frame + ticker.format("m", "RUB/XXX"), service)
    page.goto(origin + "/")
    latest = client.get(f"/rates/latest.json?pairs={pairs}").get_json()["rates"]
    assert [rate["rate"] for rate in latest] == ["1.22630", "0.815461", "101.5076"]  # NBKR's own lines
    for box in (page.locator("#t"), page.frame_locator("#f")):
        expect(box.locator(".pair")).to_have_text(pairs.split(","))
        expect(box.locator(".rate")).to_have_text(["1.22630", "0.815461", "101.508"])  # six digits to read
    expect(page.locator("#t li").first).to_have_attribute("title", "Source: nbkr, 2026-05-24")
    expect(page.locator("#m [role=alert]")).to_contain_text("data-pairs: unknown currency XXX; allowed: KZT")
    assert [e for e in page.console_errors if "400" not in e] == []  # type: ignore[attr-defined]
