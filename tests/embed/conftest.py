"""Fixtures of the embed tests: articles through the real API, live servers, a real browser."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Browser, ConsoleMessage, Page
from werkzeug.wrappers import Request, Response

# The host's own styles try to reach into the widgets; the widgets' must not reach out.
HOST_CSS = "body { font-family: serif; color: rgb(0, 128, 0); } a, li { color: rgb(255, 0, 0) !important; }"


@pytest.fixture
def make_article(client: FlaskClient, auth_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """POST an article published on 2026-11-<day> through the API; return the API's answer."""

    def create(title: str, *, countries: list[str], day: int, tags: list[str] | None = None,
               summary: str = "") -> dict[str, Any]:
        body = {"title": title, "summary": summary, "countries": countries, "tags": tags or [],
                "published_at": f"2026-11-{day:02d}T08:00:00Z"}
        response = client.post("/api/articles", json=body, headers=auth_headers)
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_json()

    return create


@pytest.fixture
def demo_rates(app) -> int:
    """The demo rate history (real currency-api payloads), stored through the rates ingest."""
    from feedsvc.core.db import get_session
    from feedsvc.rates.demo import load_demo_rates

    with app.app_context():
        session = get_session()
        written = load_demo_rates(session)
        session.commit()
    assert written > 0
    return written


@pytest.fixture
def service(app: Flask, serve_wsgi: Callable) -> Iterator[str]:
    """The feedsvc app served for real, on this test's database."""
    yield from serve_wsgi(app)


class HostSite:
    """A plain site on another port: pages registered by the test, a strict CSP, its own stylesheet."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, str]] = {}

    def add(self, path: str, widgets: str, service: str, inline_styles: bool = False) -> None:
        """A page at ``path`` embedding ``widgets`` (``SVC`` stands for the service's origin).

        ``inline_styles``: the page allows ``style=""`` attributes, as most sites do (a strict CSP does not).
        """
        body = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>'
                '<link rel="stylesheet" href="/host.css"></head><body><h1>A host site</h1>'
                f'<ul><li id="host-li">host text</li></ul>{widgets.replace("SVC", service)}</body></html>')
        styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
        csp = (f"default-src 'none'; script-src {service}; connect-src {service}; frame-src {service}; "
               f"style-src {styles}; img-src 'self'")
        self.pages[path] = (body, csp)

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path == "/host.css":
            return Response(HOST_CSS, mimetype="text/css")(environ, start_response)
        if request.path == "/favicon.ico":  # the browser asks; a 404 would be a console error
            return Response(status=204)(environ, start_response)
        body, csp = self.pages.get(request.path, ("not found", "default-src 'none'"))
        response = Response(body, status=200 if request.path in self.pages else 404, mimetype="text/html")
        response.headers["Content-Security-Policy"] = csp
        return response(environ, start_response)


@pytest.fixture
def host(serve_wsgi: Callable) -> Iterator[tuple[HostSite, str]]:
    """The host site and its origin."""
    site = HostSite()
    for origin in serve_wsgi(site):
        yield site, origin


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page in its own context; console errors and uncaught exceptions are collected."""
    context = browser.new_context(color_scheme="light")
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: _keep_error(page, m))
    page.on("pageerror", lambda exc: page.console_errors.append(f"uncaught: {exc}"))  # type: ignore[attr-defined]
    yield page
    context.close()


def _keep_error(page: Page, message: ConsoleMessage) -> None:
    if message.type == "error":
        page.console_errors.append(message.text)  # type: ignore[attr-defined]


@pytest.fixture
def recent_rates(app) -> None:
    """The demo data's last two days of currency-api rates (enough for a ticker with changes), stored fast."""
    from datetime import UTC, datetime

    from feedsvc.core.db import get_session
    from feedsvc.rates.demo import read_demo_payloads
    from feedsvc.rates.ingest.store import batch, store_observations
    from feedsvc.rates.sources.currency_api import CurrencyApi

    source, now = CurrencyApi(""), datetime.now(UTC).replace(microsecond=0)
    with app.app_context():
        session = get_session()
        with batch(session, now):
            for day, payload in read_demo_payloads()[-2:]:
                store_observations(session, source.name, day, source.parse(payload, day), now)
        session.commit()
