"""The widgets in narrow boxes in Chromium: a stale rate's "as of" mark never cut off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

AS_OF = re.compile(r"as of \d{1,2} [A-Z][a-z]{2}( \d{4})?")
# For each stale mark: is it whole (not clipped by its row or box), and what does it say?
STALE = """root => [...root.querySelectorAll(".stale")].map(mark => {
  const li = mark.closest("li"), box = mark.getBoundingClientRect(), row = li.getBoundingClientRect();
  return {text: mark.textContent, whole: box.right <= row.right + 0.5 && box.bottom <= row.bottom + 0.5
          && li.scrollWidth <= li.clientWidth && li.scrollHeight <= li.clientHeight};
})"""


def _in_a_box(width: int, snippets: str) -> str:
    return f'<div style="width:{width}px">{snippets}</div>'


def _shadow(page: Page, index: int, script: str):  # noqa: ANN202 - a JSON value
    return page.locator(".feedsvc-embed").nth(index).evaluate(f"host => ({script})(host.shadowRoot)")


@pytest.mark.parametrize("width", [300, 240])
def test_a_stale_rate_keeps_its_whole_as_of_mark(page, host, service, recent_rates, width):
    site, origin = host
    snippets = ('<script src="SVC/embed/v1/rates.js" async></script><iframe src="SVC/embed/rates" '
                'title="Rates" width="100%" height="148" style="border:0"></iframe>'
                '<script src="SVC/embed/v1/frame.js" async></script>')
    site.add("/", _in_a_box(width, snippets), service, inline_styles=True)
    page.goto(origin + "/")
    expect(page.locator(".feedsvc-embed").first.locator("li .rate")).to_have_count(5)
    expect(page.frame_locator("iframe").locator("li .rate")).to_have_count(5)
    widget = _shadow(page, 0, STALE)
    inner = page.frame_locator("iframe").locator("html")
    frame = inner.evaluate(f"() => ({STALE})(document)")
    assert widget and frame  # the demo's last days are months old: every value is stale
    for mark in widget + frame:
        assert AS_OF.fullmatch(mark["text"]) and mark["whole"], mark
    # The frame grew to its wrapped content (frame.js applied the height it reported).
    content = inner.evaluate("() => Math.ceil(document.body.getBoundingClientRect().height)")
    expect(page.locator("iframe")).to_have_attribute("height", str(content))
