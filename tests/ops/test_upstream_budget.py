"""The upstream budget against real local servers: a trickle is cut at the deadline, a flood at the cap,
silence costs one deadline, a job stops at its budget and the next run resumes; normal bodies still work."""

from __future__ import annotations

import contextlib
import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug import Response

from feedsvc.core.models import RateRun, RateSourceDay
from feedsvc.rates.ingest import jobs
from feedsvc.rates.sources.http import BodyTooLarge, DeadlineExceeded, get_body, make_http_session

UPSTREAM = Path(__file__).parents[1] / "fixtures" / "upstream"
TIMEOUT = (2.0, 10.0)  # per wait: longer than every deadline below, so only the deadline can end a test
MiB = 1024 * 1024
Handler = Callable[[socket.socket, "RawServer"], None]


def budget(**overrides: float) -> dict[str, float]:
    """Session settings in seconds, not minutes: retries without backoff, a 1.5 s deadline, a 1 MiB cap."""
    return {"HTTP_RETRIES": 3, "HTTP_BACKOFF": 0, "HTTP_TOTAL_TIMEOUT": 1.5, "HTTP_MAX_BYTES": MiB,
            **overrides}


class RawServer:
    """A TCP server on 127.0.0.1 that answers with ``handler`` and counts the body bytes it got out."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.sent = 0
        self.connections = 0
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.threads: list[threading.Thread] = []
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/payload.json"

    def serve(self) -> None:
        """Accept until stopped; each connection in a thread of its own."""
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            self.connections += 1
            thread = threading.Thread(target=self._answer, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)  # count what leaves, not buffers
            conn.recv(65536)  # the request
            with contextlib.suppress(OSError):  # the client hung up: what we are testing
                self.handler(conn, self)

    def send(self, conn: socket.socket, data: bytes) -> None:
        """Send ``data`` and count it."""
        conn.sendall(data)
        self.sent += len(data)

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; False when the server is stopping."""
        return not self.stop.wait(seconds)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Handler], RawServer]]:
    """Start RawServers; stop them and join their threads afterwards."""
    servers: list[tuple[RawServer, threading.Thread]] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler)
        thread = threading.Thread(target=server.serve, daemon=True)
        thread.start()
        servers.append((server, thread))
        return server

    yield start
    for server, thread in servers:
        server.stop.set()
        thread.join(5)
        for answering in server.threads:
            answering.join(5)
        server.listener.close()


def head(length: int | None = None) -> bytes:
    """A 200's status line and headers; without a length the body ends when the connection closes."""
    size = b"" if length is None else b"Content-Length: %d\r\n" % length
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + size + b"Connection: close\r\n\r\n"


def trickle(conn: socket.socket, server: RawServer) -> None:
    """Headers at once, then one byte every half second."""
    server.send(conn, head(1000))
    while server.wait(0.5):
        server.send(conn, b" ")


def trickle_headers(conn: socket.socket, server: RawServer) -> None:
    """A status line, then a header one byte every half second: no single read ever times out."""
    server.send(conn, b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while server.wait(0.5):
        server.send(conn, b"a")


def stall_mid_body(conn: socket.socket, server: RawServer) -> None:
    """Half the announced body at once, then silence."""
    server.send(conn, head(1000) + b" " * 500)
    server.wait(30)


def flood(length: int | None) -> Handler:
    """20 MiB of body, announced as ``length`` (or not at all)."""

    def handler(conn: socket.socket, server: RawServer) -> None:
        server.send(conn, head(length))
        block = b"x" * 65536
        for _ in range(20 * MiB // len(block)):
            server.send(conn, block)

    return handler


def silent(conn: socket.socket, server: RawServer) -> None:
    """Accept the request and never answer."""
    server.wait(30)


def elapsed(call: Callable[[], object]) -> tuple[float, BaseException | None]:
    """Seconds ``call`` took, and what it raised."""
    start = time.monotonic()
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - the caller asserts on it
        return time.monotonic() - start, exc
    return time.monotonic() - start, None


@pytest.mark.parametrize("handler", [trickle, trickle_headers, stall_mid_body],
                         ids=["body trickle", "header trickle", "stall mid-body"])
def test_a_trickle_is_cut_at_the_deadline(raw_server, handler) -> None:
    server = raw_server(handler)
    with make_http_session(budget()) as http:
        seconds, error = elapsed(lambda: get_body(http, server.url, TIMEOUT))
    assert isinstance(error, DeadlineExceeded)
    assert 1.4 <= seconds < 2.5  # the deadline, plus at most one trickled byte; not a retry
    assert server.connections == 1


@pytest.mark.parametrize("announced", [None, 20 * MiB], ids=["streamed", "content-length"])
def test_an_oversized_body_is_refused_after_about_the_cap(raw_server, announced) -> None:
    server = raw_server(flood(announced))
    with make_http_session(budget()) as http:
        _seconds, error = elapsed(lambda: get_body(http, server.url, TIMEOUT))
    assert isinstance(error, BodyTooLarge)
    for answering in server.threads:
        answering.join(5)  # the server stops once the client hung up
    # The cap, plus what the kernel's socket buffers held: far from the 20 MiB offered, and no retry.
    assert server.sent < 3 * MiB
    assert server.connections == 1


def test_a_silent_server_costs_one_deadline_not_retries_times_timeouts(raw_server) -> None:
    server = raw_server(silent)
    with make_http_session(budget()) as http:
        seconds, error = elapsed(lambda: get_body(http, server.url, TIMEOUT))
    assert isinstance(error, DeadlineExceeded)
    assert 1.4 <= seconds < 2.5  # before: 4 attempts x 10 s


def test_a_refused_connection_is_retried_then_reported(raw_server) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}/x"
    closed.close()
    with make_http_session(budget()) as http:
        seconds, error = elapsed(lambda: get_body(http, url, TIMEOUT))
    assert error is not None and "refused" in str(error).lower()
    assert seconds < 1.5


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_a_normal_payload_still_arrives_whole(httpserver, encoding) -> None:
    payload = (UPSTREAM / "currency-api" / "2025-12-24.usd.json").read_bytes()
    body, headers = (payload, {}) if encoding == "identity" else (gzip.compress(payload),
                                                                   {"Content-Encoding": "gzip"})
    httpserver.expect_request("/ok.json").respond_with_data(body, headers=headers)
    with make_http_session(budget(HTTP_MAX_BYTES=len(payload))) as http:
        assert get_body(http, httpserver.url_for("/ok.json"), TIMEOUT) == payload


def test_a_5xx_is_retried_within_the_deadline(httpserver) -> None:
    httpserver.expect_ordered_request("/flaky").respond_with_data("busy", status=503)
    httpserver.expect_ordered_request("/flaky").respond_with_data("fine")
    with make_http_session(budget()) as http:
        assert get_body(http, httpserver.url_for("/flaky"), TIMEOUT) == b"fine"


DAYS = [date(2025, 12, 24) + timedelta(days=n) for n in range(5)]


def currency_api_app(app_factory, template: str, **overrides: object):
    """An app whose only source is currency-api, its CDN and fallback both at ``template``'s server."""
    urls = {"currency-api": template, "currency-api-fallback": template.replace("/cdn/", "/pages/")}
    return app_factory(RATES_SOURCES=("currency-api",), SOURCE_URLS=urls, HTTP_RETRIES=1, HTTP_BACKOFF=0,
                       **overrides)


def slow_payloads(httpserver, seconds: float) -> None:
    """Each day's real payload, answered after ``seconds``."""
    for day in DAYS:
        payload = (UPSTREAM / "currency-api" / f"{day}.usd.json").read_bytes()

        def answer(_request, payload: bytes = payload) -> Response:
            time.sleep(seconds)
            return Response(payload, content_type="application/json")

        httpserver.expect_request(f"/cdn/{day}.json").respond_with_handler(answer)


def stored_days(app) -> set[date]:
    """The days currency-api answered."""
    with Session(app.extensions["feedsvc.engine"]) as session:
        return set(session.scalars(select(RateSourceDay.date).where(RateSourceDay.source == "currency-api")))


def test_a_job_stops_at_its_budget_and_the_next_run_resumes(app_factory, httpserver) -> None:
    slow_payloads(httpserver, 0.4)
    app = currency_api_app(app_factory, httpserver.url_for("/cdn/{date:%Y-%m-%d}.json"), RATES_JOB_BUDGET=1.0)
    with app.app_context():
        summary = jobs.backfill("currency-api", DAYS[0], DAYS[-1])
    # That it stopped at its budget is the count of days below (five days take at least 2 s of answers);
    # a bound on the wall clock failed on a loaded machine without telling anything more.
    assert "budget of 1 s spent; the next run resumes here" in summary.error
    done = stored_days(app)
    assert 1 <= len(done) < len(DAYS) and done == set(DAYS[: len(done)])
    with Session(app.extensions["feedsvc.engine"]) as session:
        run = session.scalars(select(RateRun)).one()
    assert run.finished_at is not None and "budget of 1 s spent" in run.error
    time.sleep(0.5)  # the server logs the request the budget cut once its slow handler is done
    asked = len(httpserver.log)
    app.config["RATES_JOB_BUDGET"] = 60.0
    with app.app_context():
        summary = jobs.backfill("currency-api", DAYS[0], DAYS[-1])
    assert summary.error is None
    assert stored_days(app) == set(DAYS)
    again = [request.path for request, _ in httpserver.log[asked:]]
    assert again == [f"/cdn/{day}.json" for day in DAYS[len(done):]]  # nothing asked twice


def test_a_silent_source_costs_seconds_per_run(app_factory, raw_server) -> None:
    server = raw_server(silent)
    app = currency_api_app(app_factory, server.url.replace("payload", "cdn/{date}"), HTTP_TOTAL_TIMEOUT=1.0,
                           HTTP_READ_TIMEOUT=10.0, RATES_GAP_DAYS=5)
    with app.app_context():
        start = time.monotonic()
        [summary] = jobs.update(today=DAYS[-1])
    # One deadline for the CDN, one for the fallback; then the run stops. Before: minutes per day.
    assert time.monotonic() - start < 3.5
    assert "deadline reached" in summary.error and summary.rows_written == 0
    assert server.connections == 2
