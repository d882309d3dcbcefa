"""Helpers for the central-bank source tests: the real payloads, broken bodies, a local upstream."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from pytest_httpserver import HTTPServer

from feedsvc.rates.sources import default_urls

UPSTREAM = Path(__file__).parents[2] / "fixtures" / "upstream"
TIMEOUT = (2.0, 5.0)

# What a bank's server answers when something is wrong on its side, built from the real payload.
BAD_BODIES: dict[str, Callable[[bytes], bytes]] = {
    "empty": lambda real: b"",
    "blank": lambda real: b" \r\n",
    "html error page": lambda real: (
        b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
        b"<body><h1>502 Bad Gateway</h1><hr>nginx</body></html>"
    ),
    "xhtml page": lambda real: b'<?xml version="1.0"?><html><body><p>Service unavailable</p></body></html>',
    "truncated": lambda real: real[: len(real) // 2],
    "binary": lambda real: b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xfe",
}


@pytest.fixture
def upstream() -> Callable[[str], bytes]:
    """Read a recorded upstream payload (path under tests/fixtures/upstream), byte for byte."""
    return lambda relative: (UPSTREAM / relative).read_bytes()


@pytest.fixture
def local_template(httpserver: HTTPServer) -> Callable[[str], str]:
    """A source's real URL template with its scheme and host replaced by the local server's."""

    def replace_origin(name: str) -> str:
        template = default_urls()[name]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(template))
        return httpserver.url_for("/").rstrip("/") + template.removeprefix(origin)

    return replace_origin


@pytest.fixture(params=sorted(BAD_BODIES))
def spoil(request: pytest.FixtureRequest) -> Callable[[bytes], bytes]:
    """Each way of breaking a real payload, one test per way."""
    return BAD_BODIES[request.param]


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A plain session with feedsvc's kind of User-Agent (no retries: one request, one answer)."""
    with requests.Session() as session:
        session.headers["User-Agent"] = "feedsvc-tests/1 (python-requests)"
        yield session

