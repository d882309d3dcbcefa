"""The builder's snippets on a host page of another origin, at desktop and phone widths: no layout shift
(CLS <= 0.02), iframes exactly as tall as their content, and WordPress's height protocol."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from feedsvc.embed.layout import headlines_height

SNIPPETS = ("script", "ticker", "iframe", "ticker_iframe")
# Sums every layout shift of the page (stricter than CLS's largest session window); set before any script.
OBSERVE_SHIFTS = """
window.__shifts = [];
new PerformanceObserver(list => list.getEntries().forEach(e => {
  if (!e.hadRecentInput) window.__shifts.push(e.value);
})).observe({type: "layout-shift", buffered: true});
"""


@pytest.fixture
def articles(make_article) -> None:
    """Three Kazakhstan stories, one with a title long enough to wrap on a phone."""
    make_article("Astana budget passes", countries=["kazakhstan"], day=1)
    make_article("Almaty metro extends its red line to the airport, with four new stations and a depot "
                 "promised for the spring", countries=["kazakhstan"], day=2)
    make_article("Newest Kazakhstan story", countries=["kazakhstan"], day=3)


def _frames_fit(page: Page) -> list[bool]:
    """For each of our iframes: is its height attribute its document's height (no inner scrollbar)?"""
    result = []
    for index, frame in enumerate(page.locator("iframe").all()):
        inner = page.frame_locator("iframe").nth(index).locator("html")
        content = inner.evaluate("h => Math.ceil(document.body.getBoundingClientRect().height)")
        scrolls = inner.evaluate("h => h.scrollHeight > window.innerHeight")
        result.append(int(frame.get_attribute("height")) == content and not scrolls)
    return result


@pytest.mark.parametrize("width", [1280, 390])
def test_snippets_reserve_their_height_and_fit(browser, host, service, articles, recent_rates, width,
                                               tmp_path_factory):
    context = browser.new_context(viewport={"width": width, "height": 844 if width < 500 else 800},
                                  color_scheme="light")
    try:
        page = context.new_page()
        page.goto(service + "/embed?country=kazakhstan&limit=3")
        snippets = [page.locator(f"#snippet-{key}").input_value() for key in SNIPPETS]
        site, origin = host
        html = "".join(f'<div class="s">{s}</div><p>Host text after the snippet.</p>' for s in snippets)
        site.add("/", html, service, inline_styles=True)
        page.add_init_script(OBSERVE_SHIFTS)
        page.goto(origin + "/")
        widgets = page.locator(".feedsvc-embed")
        expect(widgets.nth(0).locator("li")).to_have_count(3)
        expect(widgets.nth(1).locator("li")).to_have_count(5)
        expect(page.frame_locator("iframe").first.locator("li a")).to_have_count(3)
        expect(page.frame_locator("iframe").last.locator("li .rate")).to_have_count(5)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        assert _frames_fit(page) == [True, True]
        shifts = page.evaluate("window.__shifts")
        path = tmp_path_factory.mktemp("screenshots") / f"snippets-{width}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot at {width} px: {path}; layout shifts: {shifts}")
        assert sum(shifts) <= 0.02
    finally:
        context.close()


def test_wordpress_height_protocol(page, host, service, articles):
    site, origin = host
    # As WordPress embeds an oEmbed iframe: sandboxed, with a secret in the fragment and data-secret.
    site.add("/", '<iframe src="SVC/embed/kazakhstan?limit=3#?secret=Ab12cd" data-secret="Ab12cd" '
                  'sandbox="allow-scripts" title="Headlines" width="600" height="200"></iframe>', service)
    page.goto(origin + "/")
    expect(page.frame_locator("iframe").locator("li a")).to_have_count(3)
    # A host listening late asks again with WordPress's "ready" message; the frame answers with its height.
    message = page.evaluate("""() => new Promise(resolve => {
        addEventListener("message", e => resolve(e.data));
        document.querySelector("iframe").contentWindow.postMessage({message: "ready", secret: "Ab12cd"}, "*");
    })""")
    body = page.frame_locator("iframe").locator("body")
    content = body.evaluate("b => Math.ceil(b.getBoundingClientRect().height)")
    assert message == {"message": "height", "value": content, "secret": "Ab12cd"}
    assert content == headlines_height(3)  # CSS rows of a fixed height: what the snippets reserve


def test_frame_loader_sizes_a_frame_to_its_content(page, host, service, articles):
    site, origin = host
    # A pasted iframe whose height is wrong (an old snippet): frame.js sets it to the content's.
    site.add("/", '<iframe src="SVC/embed/kazakhstan?limit=2" title="Headlines" width="300" height="50">'
                  '</iframe><script src="SVC/embed/v1/frame.js" async></script>', service)
    page.goto(origin + "/")
    inner = page.frame_locator("iframe").locator("body")
    expect(inner.locator("li a")).to_have_count(2)
    content = inner.evaluate("b => Math.ceil(b.getBoundingClientRect().height)")
    expect(page.locator("iframe")).to_have_attribute("height", str(content))
    assert content > 50
