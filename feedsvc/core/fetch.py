"""Upstream HTTP within a budget: a total deadline per request (retries included), a size cap per body
(streamed, refused past it), and the job's own deadline. A stop (SIGTERM, feedsvc.core.stop) ends a
pause between attempts and a request in flight at once. The rate sources and the article upstreams
fetch with it; each names itself with its own User-Agent."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3
import urllib3.connection
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from feedsvc.core.stop import calling_on_stop, check_stop, wait_or_stop

USER_AGENT = "feedsvc/0.1 (python-requests)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_TOTAL_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
CHUNK = 64 * 1024
# What a retry may cure: refused or dropped connections, timeouts, a body cut short.
RETRIED = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class DeadlineExceeded(requests.Timeout):
    """The request (with its retries) or the job ran past its deadline."""


class BodyTooLarge(requests.RequestException):
    """The upstream sent more than HTTP_MAX_BYTES; the rest was not read."""


@dataclass(frozen=True)
class Budget:
    """What one request may cost: its attempts, the pause between them, its time, its body size."""

    retries: int = 0
    backoff: float = 0.0
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    job_deadline: float | None = None  # time.monotonic() past which no request of the job may run

    def deadline(self) -> float:
        """The deadline of a request starting now."""
        deadline = time.monotonic() + self.total_timeout
        return deadline if self.job_deadline is None else min(deadline, self.job_deadline)


class UpstreamSession(requests.Session):
    """A Session that carries its Budget; a plain Session gets the default one, without retries.

    The retries are ours, not urllib3's ``Retry``: that one repeats every attempt with its full
    timeout, so a silent upstream cost (retries + 1) x the read timeout; ours share one deadline.
    """

    def __init__(self, budget: Budget, user_agent: str = USER_AGENT) -> None:
        super().__init__()
        self.budget = budget
        adapter = HTTPAdapter(max_retries=0)
        adapter.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedHTTPSPool}
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.headers["User-Agent"] = user_agent


@dataclass(frozen=True)
class Fetched:
    """An upstream's answer: its status (2xx, or 304 to a conditional GET), headers, body and final URL."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str


def configured_budget(config: Mapping, deadline: float | None = None) -> Budget:
    """The Budget the configuration sets; ``deadline`` (``time.monotonic()``) ends a job's requests."""
    return Budget(
        retries=int(config["HTTP_RETRIES"]), backoff=float(config["HTTP_BACKOFF"]),
        total_timeout=float(config.get("HTTP_TOTAL_TIMEOUT") or DEFAULT_TOTAL_TIMEOUT),
        max_bytes=int(config.get("HTTP_MAX_BYTES") or DEFAULT_MAX_BYTES), job_deadline=deadline,
    )


def make_http_session(config: Mapping, deadline: float | None = None,
                      user_agent: str = USER_AGENT) -> UpstreamSession:
    """A session retrying connection errors, timeouts, 5xx and 429 with exponential backoff, in budget.

    ``deadline`` (a ``time.monotonic()`` value) ends every request of a job that has spent its budget.
    """
    return UpstreamSession(configured_budget(config, deadline), user_agent)


def http_timeout(config: Mapping) -> tuple[float, float]:
    """The (connect, read) timeout pair from the configuration."""
    return (config["HTTP_CONNECT_TIMEOUT"], config["HTTP_READ_TIMEOUT"])


def get_body(http: requests.Session, url: str, timeout: tuple[float, float],
             headers: Mapping[str, str] | None = None) -> bytes:
    """GET ``url`` within the session's budget and return the body; HTTPError for a 4xx or a last 5xx."""
    return fetch(http, url, timeout, headers).body


def fetch(http: requests.Session, url: str, timeout: tuple[float, float],
          headers: Mapping[str, str] | None = None) -> Fetched:
    """GET ``url`` within the session's budget: a 2xx or a 304; HTTPError for a 4xx or a last 5xx."""
    budget: Budget = getattr(http, "budget", Budget())
    deadline = budget.deadline()
    failure: requests.RequestException = DeadlineExceeded(f"{url}: no attempt made")
    for attempt in range(budget.retries + 1):
        if attempt:
            pause = budget.backoff * 2 ** (attempt - 1)
            if time.monotonic() + pause >= deadline:
                raise DeadlineExceeded(f"{url}: deadline reached after {attempt} attempts ({failure})")
            wait_or_stop(pause)
        try:
            return _attempt(http, url, timeout, headers, deadline, budget.max_bytes)
        except _RetryStatus as exc:
            failure = exc.error
        except DeadlineExceeded:
            raise
        except RETRIED as exc:
            failure = exc
    raise failure


class _RetryStatus(Exception):
    """An answer whose status asks for a retry (5xx, 429)."""

    def __init__(self, error: requests.HTTPError) -> None:
        super().__init__(str(error))
        self.error = error


def _attempt(http: requests.Session, url: str, timeout: tuple[float, float],
             headers: Mapping[str, str] | None, deadline: float, max_bytes: int) -> Fetched:
    """One GET: each wait clipped to the deadline, the body read as it comes and capped."""
    remaining = _remaining(url, deadline)
    clipped = (min(timeout[0], remaining), min(timeout[1], remaining))
    with _Watchdog(remaining) as dog, calling_on_stop(dog.bite):
        check_stop()  # after the watch began: a stop from now on cuts the request
        try:
            with http.get(url, timeout=clipped, headers=dict(headers or {}), stream=True) as response:
                body = _read_response(response, url, deadline, max_bytes)
                answer = Fetched(response.status_code, response.headers, body, response.url)
        except (requests.RequestException, _RetryStatus) as exc:
            if dog.bitten:  # what the cut looks like (a dropped connection) is not what happened
                check_stop()
                raise DeadlineExceeded(f"{url}: deadline reached") from exc
            raise
    if dog.bitten:  # the cut ended the body early: it looks whole, but is not
        check_stop()
        raise DeadlineExceeded(f"{url}: deadline reached")
    return answer


def _read_response(response: requests.Response, url: str, deadline: float, max_bytes: int) -> bytes:
    """The body of a 2xx (none for a 304); HTTPError (or _RetryStatus) otherwise; BodyTooLarge past cap."""
    if response.status_code == 304:
        return b""
    try:
        response.raise_for_status()
    except requests.HTTPError as exc:
        if response.status_code in RETRY_STATUSES:
            raise _RetryStatus(exc) from None
        raise
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise BodyTooLarge(f"{url}: {declared} bytes announced, more than the cap of {max_bytes}")
    return _read_capped(response, url, deadline, max_bytes)


def _read_capped(response: requests.Response, url: str, deadline: float, max_bytes: int) -> bytes:
    """The body, read one network read at a time so that neither a trickle nor a flood outlasts the budget."""
    body = bytearray()
    try:
        while chunk := response.raw.read1(CHUNK, decode_content=True):
            body += chunk
            if len(body) > max_bytes:
                raise BodyTooLarge(f"{url}: body over the cap of {max_bytes} bytes; not read further")
            _remaining(url, deadline)
    except urllib3.exceptions.ReadTimeoutError as exc:
        raise requests.ConnectionError(exc) from exc
    except urllib3.exceptions.ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except urllib3.exceptions.DecodeError as exc:
        raise requests.exceptions.ContentDecodingError(exc) from exc
    return bytes(body)


class _Watched:
    """A connection that shows its socket to the watchdog of the request running on this thread."""

    sock: socket.socket | None

    def connect(self) -> None:
        """Connect, then show the socket."""
        super().connect()  # type: ignore[misc]
        _show(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        """Show the socket (a reused connection's), then send the request."""
        _show(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedConnection(_Watched, urllib3.connection.HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, urllib3.connection.HTTPSConnection):
    pass


class _WatchedPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_watched = threading.local()


def _show(sock: socket.socket | None) -> None:
    dog = getattr(_watched, "dog", None)
    if dog is not None and sock is not None:
        dog.watch(sock)


class _Watchdog:
    """Shuts the request's socket down after its time (or at a stop): a reply trickled byte by byte (its
    headers too) never times out a single read, so only this ends it."""

    def __init__(self, seconds: float) -> None:
        self.sockets: list[socket.socket] = []
        self.bitten = False
        self.timer = threading.Timer(seconds, self.bite)
        self.timer.daemon = True

    def __enter__(self) -> _Watchdog:
        _watched.dog = self
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.timer.cancel()
        _watched.dog = None

    def watch(self, sock: socket.socket) -> None:
        """Watch ``sock``; one shown after the bite is cut at once."""
        self.sockets.append(sock)
        if self.bitten:
            _cut(sock)

    def bite(self) -> None:
        """Wake the blocked read: it sees the end of the stream."""
        self.bitten = True
        for sock in list(self.sockets):
            _cut(sock)


def _cut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _remaining(url: str, deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise DeadlineExceeded(f"{url}: deadline reached")
    return remaining
