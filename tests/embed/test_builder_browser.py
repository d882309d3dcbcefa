"""The /embed builder in a real browser: live preview under the site's CSP, snippets, copy button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from feedsvc.embed.layout import headlines_height


@pytest.fixture
def articles(make_article) -> None:
    """Four Kazakhstan stories."""
    for day in range(1, 5):
        make_article(f"Kazakhstan story {day}", countries=["kazakhstan"], day=day)


def test_builder_preview_and_snippets(page, service, articles, recent_rates):
    page.goto(service + "/embed")
    expect(page.locator("#preview-script li")).to_have_count(4)  # kazakhstan, default limit 5
    expect(page.locator("#preview-ticker li")).to_have_count(5)  # ticker preview: every tracked currency
    expect(page.frame_locator("#preview-ticker-frame").locator("li")).to_have_count(5)
    page.locator("input[name=limit]").fill("2")
    page.locator("select[name=theme]").select_option("dark")
    expect(page.locator("#snippet-script")).to_have_value(
        f'<div style="display:flow-root;min-height:208px"><script src="{service}/embed/v1/headlines.js" '
        'data-country="kazakhstan" data-limit="2" data-theme="dark" async></script></div>')
    expect(page.locator("#preview-script li")).to_have_count(2)
    expect(page.frame_locator("#preview-frame").locator("li")).to_have_count(2)
    assert "limit=2" in page.url
    assert page.locator("button.copy").first.is_visible()
    expect(page.locator("#preview-frame")).to_have_attribute("height", str(headlines_height(2)))
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: snippets and previews fit its width
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for key in ("script", "iframe", "ticker", "ticker_iframe"):
        assert page.locator(f"#snippet-{key}").evaluate("t => t.getBoundingClientRect().right") <= 390
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_copy_button_copies_the_snippet(browser, service):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(service + "/embed?country=tajikistan")
        page.locator("button.copy").first.click()
        expect(page.locator("#copy-status")).to_have_text("Copied.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.locator("#snippet-script").input_value()
        assert 'data-country="tajikistan"' in copied
    finally:
        context.close()


def test_pasted_snippets_work_on_another_origin(page, host, service, articles, demo_rates):
    page.goto(service + "/embed?country=kazakhstan&limit=3&theme=dark")
    snippets = [page.locator(f"#snippet-{key}").input_value()
                for key in ("script", "ticker", "iframe", "ticker_iframe")]
    site, origin = host
    site.add("/", "\n".join(snippets), service)
    page.goto(origin + "/")
    widgets = page.locator(".feedsvc-embed")
    expect(widgets.nth(0).locator("li")).to_have_count(3)
    expect(widgets.nth(1).locator("li")).to_have_count(5)
    expect(page.frame_locator("iframe").first.locator("li")).to_have_count(3)
    expect(page.frame_locator("iframe").last.locator("li")).to_have_count(5)
    # This host's CSP forbids inline styles: the browser ignores (and reports) the snippets'
    # style="border:0", and frameborder="0" keeps the border off; nothing else may fail.
    errors = [e for e in page.console_errors if not e.startswith("Applying inline style violates")]  # type: ignore[attr-defined]
    assert errors == []
    assert page.locator("iframe").evaluate_all("fs => fs.map(f => getComputedStyle(f).borderTopWidth)") == [
        "0px", "0px"]


def test_builder_ticker_of_a_country_either_way(page, service, bank_tables):
    page.goto(service + "/embed")
    page.locator("select[name=ticker]").select_option("kyrgyzstan")
    expect(page.locator("#snippet-ticker")).to_have_value(
        f'<div style="display:flow-root;min-height:146px"><script src="{service}/embed/v1/rates.js" '
        'data-pairs="USD/KGS,EUR/KGS,RUB/KGS,CNY/KGS" async></script></div>')
    pairs = ["USD/KGS", "EUR/KGS", "RUB/KGS", "CNY/KGS"]
    expect(page.locator("#preview-ticker .pair")).to_have_text(pairs)
    expect(page.frame_locator("#preview-ticker-frame").locator(".pair")).to_have_text(pairs)
    expect(page.locator("#preview-ticker .rate").nth(2)).to_have_text("1.22630")  # NBKR's own RUB line
    page.get_by_label("KGS/USD: 1 KGS in dollars").check()  # the labels name the chosen currency
    inverse = ["KGS/USD", "KGS/EUR", "KGS/RUB", "KGS/CNY"]
    expect(page.locator("#preview-ticker .pair")).to_have_text(inverse)
    expect(page.frame_locator("#preview-ticker-frame").locator(".pair")).to_have_text(inverse)
    assert "ticker=kyrgyzstan" in page.url and "orientation=local-first" in page.url
    assert page.console_errors == []  # type: ignore[attr-defined]
