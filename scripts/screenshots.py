"""Screenshots of the demo's pages in Debian's Chromium: ``python scripts/screenshots.py ORIGIN OUTDIR``.

Run through ``scripts/screenshots``, which serves the demo first. Each page is shot whole, at each width,
in the light scheme, once every image (lazy ones included) has loaded.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

WIDTHS = (390, 1280)
LOADED = "[...document.images].every(img => img.complete && img.naturalWidth > 0)"
EAGER = "document.querySelectorAll('img[loading=lazy]').forEach(img => { img.loading = 'eager'; })"
# Chromium paints a full-page shot from what it has decoded: scroll the page through once, as a reader would.
SCROLL_THROUGH = """async () => {
  for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
    scrollTo(0, y);
    await new Promise(resolve => setTimeout(resolve, 50));
  }
  scrollTo(0, 0);
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
}"""


def pages(origin: str) -> dict[str, str]:
    """The pages to shoot, by file name: an article with a table, a figure and an image is the newest."""
    with urllib.request.urlopen(f"{origin}/api/articles?per_page=1", timeout=30) as response:  # noqa: S310
        article = urlsplit(json.load(response)["items"][0]["url"]).path
    return {"home": "/", "country": "/kazakhstan", "article": article, "tag": "/tags/water",
            "search": "/search?q=water", "rates": "/rates?pairs=KZT/USD,USD/UZS,KGS/USD", "embed": "/embed"}


def shoot(origin: str, out: Path) -> None:
    """Write ``<page>-<width>.png`` for every page and width."""
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                             args=["--no-sandbox", "--disable-gpu"])
        for width in WIDTHS:
            # bypass_csp: waiting on a condition evaluates a script, which the site's CSP (rightly) refuses.
            context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme="light",
                                          bypass_csp=True)
            page = context.new_page()
            for name, path in pages(origin).items():
                page.goto(origin + path, wait_until="networkidle")
                page.evaluate(EAGER)  # a full-page shot shows what a reader would see by scrolling
                page.wait_for_function(LOADED, timeout=10_000)
                page.evaluate(SCROLL_THROUGH)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=out / f"{name}-{width}.png", full_page=True)
                print(out / f"{name}-{width}.png")
            context.close()
        browser.close()


if __name__ == "__main__":
    shoot(sys.argv[1], Path(sys.argv[2]))
