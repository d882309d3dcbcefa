"""Shared fixtures for rate tests: recorded upstream payloads served by a local HTTP server.

The local server mirrors each upstream at ``/<upstream host>/<upstream path>``, so a source's real URL
template (host placeholders included, e.g. currency-api's ``{date}.currency-api.pages.dev`` fallback)
maps onto it unchanged. ``mirror.urls()`` is a ``SOURCE_URLS`` dict for ``app_factory``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pytest_httpserver import HTTPServer

from feedsvc.rates.sources import default_urls

UPSTREAM = Path(__file__).parents[1] / "fixtures" / "upstream"


class Mirror:
    """The local server dressed as the real upstreams."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server

    def template(self, name: str) -> str:
        """Source ``name``'s real URL template moved under the local server as /host/path."""
        parts = urlsplit(default_urls()[name])
        query = f"?{parts.query}" if parts.query else ""
        return self.server.url_for(f"/{parts.netloc}{parts.path}") + query

    def urls(self, **overrides: str) -> dict[str, str]:
        """``SOURCE_URLS`` with every upstream mirrored (keyword overrides: ``currency_api=...``)."""
        urls = {name: self.template(name) if url else url for name, url in default_urls().items()}
        return {**urls, **{name.replace("_", "-"): url for name, url in overrides.items()}}

    def serve(self, name: str, day: date, body: bytes | str, status: int = 200,
              content_type: str = "application/json") -> str:
        """Answer source ``name``'s URL for ``day`` with ``body``; return the path served."""
        path = self.path(name, day)
        self.server.expect_request(path).respond_with_data(body, status=status, content_type=content_type)
        return path

    def path(self, name: str, day: date) -> str:
        """The local path of source ``name``'s URL for ``day``."""
        return urlsplit(self.template(name).format(date=day)).path

    def answer_404_elsewhere(self) -> None:
        """Every request without a handler of its own gets a 404, like a missing day upstream."""
        self.server.expect_request(re.compile(".*")).respond_with_data("Not Found", status=404)

    def requested(self) -> list[str]:
        """The paths the server was asked for, in order."""
        return [request.path for request, _response in self.server.log]


@pytest.fixture
def mirror(httpserver: HTTPServer) -> Mirror:
    """The local server as a mirror of the real upstreams."""
    return Mirror(httpserver)


@pytest.fixture
def upstream_bytes() -> Callable[[str], bytes]:
    """Read a recorded payload (path under tests/fixtures/upstream), byte for byte."""
    return lambda relative: (UPSTREAM / relative).read_bytes()


@pytest.fixture
def fast_http() -> dict[str, float]:
    """Settings that keep failing upstreams quick: retries still happen, without backoff."""
    return {"HTTP_BACKOFF": 0, "HTTP_RETRIES": 2, "HTTP_CONNECT_TIMEOUT": 2.0, "HTTP_READ_TIMEOUT": 5.0}


@pytest.fixture
def closed_port_url() -> str:
    """A URL template on 127.0.0.1 where nothing listens (an upstream that is down)."""
    return "http://127.0.0.1:9/down/{date:%Y-%m-%d}.json"
