"""Helpers of the fault tests: URLs through a proxy, requests to a gunicorn node, log checks."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from pathlib import Path

from proxy import FaultProxy
from sqlalchemy import make_url

POSTGRES = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
ANSWER_WITHIN = 10.0  # seconds: every request answers within this, whatever PostgreSQL or Redis does
HEALTH_WITHIN = 2.0  # seconds: /healthz, for a load balancer's check


def via_proxy(url: str, proxy: FaultProxy) -> str:
    """``url`` (PostgreSQL or Redis) with its host and port replaced by the proxy's."""
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


@dataclass
class Answer:
    """A response read whole, and how long it took."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float


def request(port: int, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None, timeout: float = 30.0) -> Answer:
    """One HTTP/1.1 request to 127.0.0.1:``port``, read whole, with its duration."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers={"Host": "localhost", **(headers or {})})
        response = conn.getresponse()
        data = response.read()
        return Answer(response.status, response.headers, data, time.monotonic() - started)
    finally:
        conn.close()


@dataclass
class Node:
    """One gunicorn node: its port and log file."""

    port: int
    log: Path

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 30.0) -> Answer:
        """GET ``path`` from the node."""
        return request(self.port, "GET", path, headers, timeout=timeout)

    def send(self, method: str, path: str, headers: dict[str, str] | None = None,
             body: bytes | None = None) -> Answer:
        """Any request to the node."""
        return request(self.port, method, path, headers, body)

    def output(self) -> str:
        """Everything the node has logged so far."""
        return self.log.read_text(errors="replace")


def assert_no_traceback(text: str) -> None:
    """No traceback in a log."""
    assert "Traceback" not in text, text[text.index("Traceback") - 500:][:3000]
