"""The widgets in narrow boxes in Chromium: one rhythm for one- and two-line headlines, a stale rate's
"as of" mark never cut off, and a mistake's message in a box of its own size."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

AS_OF = re.compile(r"as of \d{1,2} [A-Z][a-z]{2}( \d{4})?")
# For each headline row: the title's and date's boxes and the row's, in px.
ROWS = """root => [...root.querySelectorAll("li")].filter(li => li.querySelector("time")).map(li => {
  const box = e => e.getBoundingClientRect();
  const row = box(li), title = box(li.querySelector("a")), date = box(li.querySelector("time"));
  return {lines: Math.round(title.height / 20), gap: date.top - title.bottom, above: title.top - row.top,
          below: row.bottom - date.bottom};
})"""
# For each stale mark: is it whole (not clipped by its row or box), and what does it say?
STALE = """root => [...root.querySelectorAll(".stale")].map(mark => {
  const li = mark.closest("li"), box = mark.getBoundingClientRect(), row = li.getBoundingClientRect();
  return {text: mark.textContent, whole: box.right <= row.right + 0.5 && box.bottom <= row.bottom + 0.5
          && li.scrollWidth <= li.clientWidth && li.scrollHeight <= li.clientHeight};
})"""


@pytest.fixture
def stories(make_article) -> None:
    """A short and a long title: one and two lines in a 300 px box."""
    make_article("Budget passes", countries=["kazakhstan"], day=1)
    make_article("Almaty metro extends its red line to the airport, with four new stations", countries=[
        "kazakhstan"], day=2)


def _in_a_box(width: int, snippets: str) -> str:
    return f'<div style="width:{width}px">{snippets}</div>'


def _shadow(page: Page, index: int, script: str):  # noqa: ANN202 - a JSON value
    return page.locator(".feedsvc-embed").nth(index).evaluate(f"host => ({script})(host.shadowRoot)")


def test_headlines_keep_one_rhythm_for_one_and_two_line_titles(page, host, service, stories):
    site, origin = host
    snippets = ('<script src="SVC/embed/v1/headlines.js" data-country="kazakhstan" data-limit="2" async>'
                '</script><iframe src="SVC/embed/kazakhstan?limit=2" title="Headlines" width="300" '
                'height="166"></iframe>')
    site.add("/", _in_a_box(300, snippets), service, inline_styles=True)
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(origin + "/")
    expect(page.locator(".feedsvc-embed").first.locator("li a")).to_have_count(2)
    expect(page.frame_locator("iframe").locator("li a")).to_have_count(2)
    widget = _shadow(page, 0, ROWS)
    frame = page.frame_locator("iframe").locator("html").evaluate(f"() => ({ROWS})(document)")
    for rows in (widget, frame):
        assert sorted(row["lines"] for row in rows) == [1, 2]
        # The same 4 px between a title and its date, however many lines; the date never on the rule.
        assert all(abs(row["gap"] - 4) <= 1 and row["below"] >= 5 for row in rows)
        one = next(row for row in rows if row["lines"] == 1)
        assert abs(one["above"] - one["below"]) <= 1  # no empty line above the date: the pair is centred
    assert page.console_errors == []


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


def test_a_mistake_takes_the_space_its_message_needs(page, host, service):
    site, origin = host
    site.add("/", _in_a_box(300, '<script src="SVC/embed/v1/headlines.js" data-country="atlantis" async>'
                                 '</script>'), service)
    page.goto(origin + "/")
    message = page.locator(".feedsvc-embed").locator(".mistake")
    expect(message).to_contain_text("data-country: no country “atlantis”")
    sizes = _shadow(page, 0, """root => {
      const box = root.querySelector(".w"), note = root.querySelector(".mistake");
      return {box: box.getBoundingClientRect().height, note: note.getBoundingClientRect().height,
              clipped: note.scrollHeight > note.clientHeight};
    }""")
    # border 2 + padding 24 around the message: no empty list-sized box below it.
    assert sizes["box"] == pytest.approx(sizes["note"] + 26, abs=1) and not sizes["clipped"]
