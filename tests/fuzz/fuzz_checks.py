"""Send one request under a deadline, reading the whole body, and check what every answer must satisfy."""

from __future__ import annotations

import json
import logging
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, run_wsgi_app

LIMIT_SECONDS = 10.0  # wall clock per request, body included (ms normally; room for a loaded 2-core CI)
# Written out here, not imported from feedsvc.core.errors: the test must notice if the app's list drifts.
JSON_PREFIXES = ("/api", "/feeds", "/rates.", "/rates/", "/healthz", "/embed/v1", "/oembed", "/websub/")
JSON_PATHS = ("/feeds.opml",)


@dataclass(frozen=True)
class DemoSite:
    """The app with the demo data, a client, a valid token and some existing articles."""

    app: Flask
    client: FlaskClient
    token: str
    article_ids: tuple[int, ...]
    article_slugs: tuple[str, ...]


class TookTooLong(BaseException):
    """A request ran past its deadline (not an Exception, so that no handler of the app catches it)."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block with TookTooLong after ``seconds``, keeping any outer timer (pytest-timeout)."""

    def interrupt(signum: int, frame: Any) -> None:
        raise TookTooLong(f"no complete answer within {seconds} s")

    started = time.monotonic()
    outer_handler = signal.signal(signal.SIGALRM, interrupt)
    outer_delay, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, outer_handler)
        if outer_delay:
            signal.setitimer(signal.ITIMER_REAL, max(outer_delay - (time.monotonic() - started), 0.001))


@dataclass
class Answer:
    """What came back for one request: status, headers, the whole body, time taken, or what went wrong."""

    request: str
    path: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    seconds: float = 0.0
    failure: str | None = None  # an exception escaping the client, or the deadline

    @property
    def mimetype(self) -> str:
        """The media type of the answer, without parameters."""
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON (fails the test when it is not)."""
        try:
            return json.loads(self.body)
        except ValueError:
            pytest.fail(f"{self.request}: a {self.status} with a body that is not JSON: {self.body[:200]!r}")


def send(client: FlaskClient, method: str, url: str, headers: Sequence[tuple[str, str]] = (),
         body: bytes | None = None, limit: float = LIMIT_SECONDS) -> Answer:
    """Send a request through the test client's WSGI runner and read the whole body within ``limit`` seconds.

    The client's cookie jar is left out: it parses the URL of every request and answer itself, and fails
    on some Host headers (``xn--``) before the app sees them.
    """
    shown_headers = [(name, value[:80]) for name, value in headers]
    described = f"{method} {url[:300]} headers={shown_headers} body={(body or b'')[:80]!r}"
    answer = Answer(described, url.split("?")[0])
    started = time.monotonic()
    try:
        with deadline(limit):
            environ = EnvironBuilder(url, method=method, headers=list(headers), data=body,
                                     environ_base=client.environ_base).get_environ()
            app_iter, status, response_headers = run_wsgi_app(client.application, environ)
            try:
                answer.body = b"".join(app_iter)
            finally:
                getattr(app_iter, "close", lambda: None)()
    except TookTooLong as exc:
        answer.failure = str(exc)
    except Exception as exc:  # anything escaping the client (a streamed body raising) is a bug
        answer.failure = f"{type(exc).__name__}: {exc}"
    else:
        answer.status = int(status.split()[0])
        answer.headers = dict(response_headers)
        answer.path = environ["PATH_INFO"].encode("latin-1").decode("utf-8", "replace")
    answer.seconds = time.monotonic() - started
    return answer


def is_json_endpoint(path: str) -> bool:
    """True for the machine endpoints, whose errors are JSON."""
    return path.startswith(JSON_PREFIXES) or path in JSON_PATHS


def check_answer(answer: Answer, method: str) -> None:
    """No escaped exception, in time, below 500, and a 4xx in the shape of its endpoint."""
    assert answer.failure is None, f"{answer.request}: {answer.failure} after {answer.seconds:.2f} s"
    assert answer.seconds < LIMIT_SECONDS, f"{answer.request}: took {answer.seconds:.2f} s"
    assert answer.status < 500, f"{answer.request}: {answer.status} {answer.body[:300]!r}"
    if 400 <= answer.status < 500 and method != "HEAD":
        if is_json_endpoint(answer.path):
            check_json_error(answer)
        else:
            check_html_error(answer)
    location = answer.headers.get("Location", "")
    assert not location.startswith(("//", "/\\", "javascript:")), f"{answer.request}: Location {location}"


def check_json_error(answer: Answer) -> None:
    """``{"error": {"status": <the HTTP status>, "message": str, "fields"?: {str: [str]}}}``."""
    assert answer.mimetype == "application/json", f"{answer.request}: {answer.status} as {answer.mimetype}"
    document = answer.json()
    assert isinstance(document, dict) and set(document) == {"error"}, f"{answer.request}: {document}"
    error = document["error"]
    assert isinstance(error, dict) and set(error) <= {"status", "message", "fields"}, answer.request
    assert error.get("status") == answer.status, f"{answer.request}: {error} in a {answer.status}"
    assert isinstance(error.get("message"), str), f"{answer.request}: {error}"
    fields = error.get("fields", {})
    assert isinstance(fields, dict), f"{answer.request}: {error}"
    for name, messages in fields.items():
        assert isinstance(name, str) and isinstance(messages, list), f"{answer.request}: {error}"
        assert all(isinstance(message, str) for message in messages), f"{answer.request}: {error}"


def check_html_error(answer: Answer) -> None:
    """An HTML error page (which itself rendered) naming its status."""
    assert answer.mimetype == "text/html", f"{answer.request}: {answer.status} as {answer.mimetype}"
    page = answer.body.decode("utf-8", "replace")
    assert page.lstrip().lower().startswith("<!doctype html"), f"{answer.request}: {page[:200]!r}"
    assert str(answer.status) in page, f"{answer.request}: the page does not name {answer.status}"


def logged_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every record at ERROR or above, or carrying a traceback, as text."""
    return [f"{r.name}: {r.getMessage()}" + (" (with traceback)" if r.exc_info else "")
            for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
