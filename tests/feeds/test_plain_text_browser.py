"""Plain text in a real browser: the article page and the headlines widget (fed by the JSON Feed).

Two titles: a tag the editor typed as entities (kept as typed), and a raw one as an earlier version
stored it (decoded): both must show as visible text, and no script may run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.wrappers import Response

from feedsvc.articles.store import create_article
from feedsvc.core.db import new_session

TYPED = "&lt;script&gt;window.__xss=1&lt;/script&gt; typed"
LEGACY = '<script>window.__xss=2</script><img src=x onerror="window.__xss=3"> legacy'


@pytest.fixture
def stories(app: Flask, client, post_article: Callable[..., dict[str, Any]]) -> dict[str, str]:
    """Page paths of the two stories, by the title each should show."""
    typed = post_article(title=TYPED, published_at="2025-03-01T08:00:00Z")
    with app.app_context(), new_session() as session:
        legacy = create_article(session, {"title": "placeholder", "countries": ["kazakhstan"]})
        legacy.title = LEGACY  # written past today's cleaning, as rows from before it may read
        session.commit()
        legacy_id = legacy.id
    legacy_url = client.get(f"/api/articles/{legacy_id}").get_json()["url"]
    return {title: url.removeprefix("http://localhost") for title, url in ((TYPED, typed["url"]),
                                                                         (LEGACY, legacy_url))}


@pytest.fixture
def service(app: Flask, serve_wsgi: Callable) -> Iterator[str]:
    """The app served for real on 127.0.0.1."""
    yield from serve_wsgi(app)


@pytest.fixture
def host(service: str, serve_wsgi: Callable) -> Iterator[str]:
    """Another origin whose page embeds the headlines widget."""
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head><body>'
            f'<div id="w"><script src="{service}/embed/v1/headlines.js" data-country="kazakhstan" async>'
            "</script></div></body></html>")
    yield from serve_wsgi(Response(body, mimetype="text/html"))


def test_tags_in_titles_show_as_text_and_never_run(browser, service, host, stories):
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for title, path in stories.items():
        page.goto(service + path)
        assert page.get_by_role("heading", level=1).inner_text() == title
        assert page.locator("h1 script, h1 img").count() == 0
        assert page.evaluate("window.__xss") is None
    page.goto(host + "/")
    links = page.locator("#w li a")
    links.first.wait_for()
    assert sorted(links.all_text_contents()) == sorted(stories)
    assert page.evaluate("window.__xss") is None
    assert dialogs == []
    context.close()
