"""A request's Host and X-Forwarded-* headers: malformed ones are a 400 whose error page renders."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from feedsvc.core.hosts import is_valid_host

GOOD_HOSTS = ["news.example.org", "news.example.org:8443", "localhost", "127.0.0.1:8000", "[::1]:8000",
              "xn--80ak6aa92e.com", "example.org."]
BAD_HOSTS = ["a" * 3000, "exa mple.com", "example.com<script>", "example.com:99999", "example.com:0",
             "[::1", "[nope]:80", "xn--", "a..b", "-a.com", "a-.com", "exé.com", "a" * 64 + ".com",
             "example.com:80:80", "example.com/path", "user@example.com", "my_service:8000",
             "example.com:0080"]


@pytest.mark.parametrize("host", GOOD_HOSTS)
def test_good_hosts(host: str) -> None:
    assert is_valid_host(host)


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_bad_hosts(host: str) -> None:
    assert not is_valid_host(host)


@pytest.fixture
def origin(app: Flask, serve_wsgi) -> Iterator[str]:
    """The app served for real on loopback (the test client itself can't send every Host)."""
    yield from serve_wsgi(app)


def fetch(origin: str, path: str, headers: dict[str, str]) -> tuple[int, str, str]:
    """Status, content type and body of a GET sent with exactly these headers."""
    connection = http.client.HTTPConnection(origin.removeprefix("http://"), timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value.encode("utf-8"))
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read().decode()
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["a" * 3000, "xn--", "a..b", "exa mple.com<script>", "exé.com", "x:99999"])
def test_a_malformed_host_is_a_400_that_renders(origin: str, host: str, caplog) -> None:
    for path in ("/", "/nope", "/kazakhstan", "/feeds/all.rss", "/api/articles", "/embed/all"):
        status, content_type, body = fetch(origin, path, {"Host": host})
        assert status == 400, path
        assert host not in body and "<script>" not in body
        if path.startswith(("/feeds", "/api")):
            assert json.loads(body)["error"]["message"].startswith("the Host header")
        else:
            assert content_type.startswith("text/html") and "Host header" in body
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_good_host_is_used_without_public_url(app: Flask) -> None:
    body = app.test_client().get("/feeds/all.rss", headers={"Host": "news.example.org:8443"}).get_data(True)
    assert "http://news.example.org:8443/feeds/all.rss" in body


def test_forwarded_headers_are_ignored_unless_a_proxy_is_trusted(app: Flask) -> None:
    headers = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    body = app.test_client().get("/feeds/all.rss", headers=headers).get_data(as_text=True)
    assert "evil.example" not in body and "http://localhost/feeds/all.rss" in body


def test_a_trusted_proxy_sets_host_and_scheme(app_factory) -> None:
    client = app_factory(TRUSTED_PROXIES=1).test_client()
    headers = {"X-Forwarded-Host": "news.example.org", "X-Forwarded-Proto": "https",
               "X-Forwarded-For": "203.0.113.7"}
    body = client.get("/feeds/all.rss", headers=headers).get_data(as_text=True)
    assert "https://news.example.org/feeds/all.rss" in body


@pytest.mark.parametrize("headers", [
    {"X-Forwarded-Host": "a" * 3000},
    {"X-Forwarded-Host": "evil.example/<script>"},
    {"X-Forwarded-Proto": "javascript"},
    {"X-Forwarded-For": "not-an-address"},
    {"X-Forwarded-Port": "99999"},
])
def test_malformed_forwarded_headers_of_a_trusted_proxy_are_a_400(app_factory, headers: dict) -> None:
    client = app_factory(TRUSTED_PROXIES=1).test_client()
    for path in ("/feeds/all.atom", "/"):
        response = client.get(path, headers=headers)
        assert response.status_code == 400, path
        assert "javascript" not in response.get_data(as_text=True)


def _raw_exchange(origin: str, request: bytes) -> bytes:
    """Send ``request`` as is over a socket to ``origin`` and read the whole answer."""
    host, port = origin.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("path", ["/feeds/all.rss", "/", "/api/articles", "/healthz"])
def test_a_request_without_host_is_a_400(app, serve_wsgi, path: str) -> None:
    origin = next(serving := serve_wsgi(app))
    try:
        answer = _raw_exchange(origin, f"GET {path} HTTP/1.0\r\n\r\n".encode())
        with_host = _raw_exchange(origin, f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
    finally:
        serving.close()
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"400", answer[:300]
    assert b"no Host header" in rest
    assert with_host.split()[1] == b"200"
