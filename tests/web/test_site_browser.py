"""The site from a small phone to a desktop in a real browser: no sideways scrolling, no layout shift, no
CSP error.

The demo articles and rates are served for real. The demo images are held back until the page has been
painted once (as on a slow network), so an image whose box is not reserved would push the text down.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from site_helpers import HeldImages

WIDTHS = (320, 390, 768, 1280)
MAX_SHIFT = 0.05
# The cumulative layout shift so far: the buffered 'layout-shift' entries (input-driven ones excluded),
# taken synchronously, so this works with scripting disabled (no timers run there).
LAYOUT_SHIFT = """() => {
  const observer = new PerformanceObserver(() => {});
  observer.observe({type: "layout-shift", buffered: true});
  const entries = observer.takeRecords();
  observer.disconnect();
  return entries.filter(entry => !entry.hadRecentInput).reduce((sum, entry) => sum + entry.value, 0);
}"""
PAINTED = "performance.getEntriesByType('paint').length > 0"
IMAGES_SHOWN = "[...document.images].every(img => img.complete && img.naturalWidth > 0)"


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go (under pytest's temporary directory; see --basetemp)."""
    return tmp_path_factory.mktemp("screenshots")


def article_with_image(client) -> str:  # noqa: ANN001 - a Flask test client
    """The path of the newest demo article that has an image."""
    items = client.get("/api/articles?per_page=100").get_json()["items"]
    return urlsplit(next(item["url"] for item in items if item["image_url"])).path


def load_painted_before_images(page, url: str, images: HeldImages) -> None:  # noqa: ANN001 - a Playwright page
    """Load ``url``, paint it once while its images are held, then let them in and wait for them."""
    images.hold()
    try:
        page.goto(url, wait_until="domcontentloaded")
        for _ in range(400):  # until the browser has painted (bounded: never a hang)
            if page.evaluate(PAINTED):
                break
            page.wait_for_timeout(10)
    finally:
        images.release()
    page.wait_for_load_state("load")


def test_pages_fit_desktop_and_phone_without_layout_shift(browser, demo_site, held_images, client,
                                                          screenshots):
    paths = {"home": "/", "country": "/kazakhstan", "article": article_with_image(client),
             "tag": "/tags/water", "search": "/search?q=water", "rates": "/rates?pairs=KZT/USD,USD/UZS",
             "embed": "/embed", "error": "/nowhere"}  # the error page's own 404 is no console problem
    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
        page = context.new_page()
        # Each page must fetch its images afresh: one cached by an earlier page would arrive in no time.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.on("console", lambda m: problems.append(f"console: {m.text} ({m.location['url']})")
                if m.type == "error" and m.location["url"] != demo_site + paths["error"] else None)
        for name, path in paths.items():
            load_painted_before_images(page, demo_site + path, held_images)
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            shift = page.evaluate(LAYOUT_SHIFT)
            if scroll_width > width:
                problems.append(f"{name} at {width}px scrolls sideways ({scroll_width}px wide)")
            if shift >= MAX_SHIFT:
                problems.append(f"{name} at {width}px shifts its layout by {shift:.3f}")
            if not page.evaluate(IMAGES_SHOWN):
                problems.append(f"{name} at {width}px has an image that did not load")
            shot = screenshots / f"{name}-{width}.jpeg"
            page.screenshot(path=shot, full_page=True, type="jpeg", quality=70)
        context.close()
    assert page.url.startswith(demo_site)  # the last page really was ours
    assert problems == []
