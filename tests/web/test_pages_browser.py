"""The pages in a real browser: a phone-sized screen, no JavaScript, no CSP violations."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

PHONE = {"width": 360, "height": 740}
LONG_WORD = "Nurlyzhol" * 12


@pytest.fixture
def site(app: Flask, serve_wsgi: Callable) -> Iterator[str]:
    """The app served for real on 127.0.0.1; yields its origin."""
    yield from serve_wsgi(app)


def test_pages_fit_a_phone_and_work_without_javascript(browser, site, add_articles):
    add_articles(25, title=f"Water talks {LONG_WORD}", summary="Summary " + LONG_WORD,
                 content_html=f"<p>{LONG_WORD}</p><table><tr><td>{LONG_WORD}</td><td>x</td></tr></table>")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    for path in ("/", "/kazakhstan", "/search?q=water"):
        page.goto(site + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    page.goto(site + "/kazakhstan")
    page.get_by_role("link", name="Older →").first.click()  # plain links: pagination needs no script
    assert "Viewing results 21 - 25 of 25" in page.locator("p.count").first.inner_text()
    page.get_by_role("link", name=f"Water talks {LONG_WORD} 3").click()
    page.wait_for_url("**/articles/**")
    page.wait_for_load_state("load")  # the stylesheet too: measuring before it applies gives a false width
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("article.story table").count() == 1
    page.goto(site + "/search")
    page.get_by_label("Words").fill("talks")
    page.get_by_label("Country").select_option("kazakhstan")
    page.get_by_role("button", name="Search").click()  # a GET form: works without script
    assert page.url.endswith("/search?q=talks&country=kazakhstan")
    assert "Viewing results 1 - 20 of 25" in page.locator("p.count").first.inner_text()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert errors == []  # e.g. no Content-Security-Policy violations
    context.close()
