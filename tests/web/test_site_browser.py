"""The site on a desktop and a phone in a real browser: no sideways scrolling, no layout shift, no CSP error.

The demo articles and rates are served for real. The demo images are held back until the page has been
painted once (as on a slow network), so an image whose box is not reserved would push the text down.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from feedsvc.articles.demo import load_demo_articles
from feedsvc.core.changes import bump_markers
from feedsvc.core.db import new_session
from feedsvc.core.models import RateObservation
from feedsvc.rates.demo import CURRENCY_API_CSV
from feedsvc.rates.served import recompute_all

WIDTHS = (1280, 390)
RATE_DAYS = 40  # the newest days of the demo's currency-api history: enough for the ticker, chart and table
IMAGE_HOLD = 10  # seconds at most, so that a test gone wrong cannot hang
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


class HeldImages:
    """The WSGI app with the demo images answered only once ``release()`` is called."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self.released = threading.Event()

    def hold(self) -> None:
        """Hold the images of the next page."""
        self.released.clear()

    def release(self) -> None:
        """Let the held images go."""
        self.released.set()

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204 - the WSGI signature
        if environ.get("PATH_INFO", "").startswith("/assets/demo/"):
            self.released.wait(IMAGE_HOLD)
        return self.app(environ, start_response)


def store_recent_demo_rates(session: Session, priority: Sequence[str]) -> None:
    """The newest RATE_DAYS rows of the demo's currency-api history, stored and served as ingest does.

    Written directly: the full demo load runs every value through the guards, ten seconds per database.
    """
    with CURRENCY_API_CSV.open(newline="") as file:
        rows = list(csv.DictReader(file))[-RATE_DAYS:]
    now = datetime.now(UTC)
    session.add_all(RateObservation(source="currency-api", date=date.fromisoformat(row["date"]),
                                    currency="USD", quote=currency, value=Decimal(value), fetched_at=now)
                    for row in rows for currency, value in row.items() if currency != "date")
    recompute_all(session, priority)
    bump_markers(session, ["rates"], now)


@pytest.fixture
def held_images(app: Flask) -> HeldImages:
    """The app, its demo images held back on demand."""
    return HeldImages(app)


@pytest.fixture
def demo_site(app: Flask, held_images: HeldImages, serve_wsgi: Callable) -> Iterator[str]:
    """The demo data served on 127.0.0.1, its images made absolute against that origin."""
    for origin in serve_wsgi(held_images):
        with app.test_request_context(base_url=origin), new_session() as session:
            load_demo_articles(session)
            store_recent_demo_rates(session, app.config["RATES_SOURCES"])
            session.commit()
        yield origin


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
             "search": "/search?q=water", "rates": "/rates"}
    problems: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900}, java_script_enabled=False)
        page = context.new_page()
        # Each page must fetch its images afresh: one cached by an earlier page would arrive in no time.
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
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
