"""A watch on PostgreSQL connections: a statement waiting on a server that no longer answers is cut.

TCP keepalives and ``tcp_user_timeout`` end a connection whose packets go unacknowledged, and
``statement_timeout`` ends a slow statement — but a server (or anything in between) that accepts bytes
and never answers defeats all three: its kernel acknowledges, and the server never runs the statement,
so it never cancels it. A worker would wait until gunicorn kills it.

So a thread of each process looks at the engine's connections every ``TICK``. A connection busy on a
statement for ``SUSPECT_AFTER`` seconds (a slow query, or a hung server) makes it open a new
connection and run ``SELECT 1`` within ``PROBE_TIMEOUT``. If that fails too, the server is hung: each
busy connection's socket is shut down, so its statement fails at once with the driver's
``OperationalError`` (answered as an outage), and new connections fail at once (``check_connect``)
until a probe succeeds again, instead of each waiting for the connect timeout.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
import weakref
from typing import Any

import psycopg
from psycopg import pq

log = logging.getLogger(__name__)
TICK = 0.25  # seconds between two looks at the connections
SUSPECT_AFTER = 1.5  # seconds a statement may run before the server is asked whether it is alive
PROBE_TIMEOUT = 2.5  # a new connection and SELECT 1; libpq's shortest connect timeout is 2 s
REPROBE_EVERY = 2.0  # while the server is judged hung, how often it is asked again


class DatabaseWatch:
    """The watch of one engine's PostgreSQL connections (``dsn`` opens the probe's own connection)."""

    def __init__(self, dsn: str, options: dict[str, Any]) -> None:
        self.dsn, self.options = dsn, options
        self.connections: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
        self.busy_since: dict[int, float] = {}  # id(connection) -> when it was first seen busy
        self.hung = False  # the last probe failed: new connections are refused until one succeeds
        self.lock = threading.Lock()
        self.stopped: threading.Event | None = None  # the running thread's stop signal
        self.thread: threading.Thread | None = None

    def add(self, connection: psycopg.Connection[Any]) -> None:
        """Watch a new connection (the engine's connect event); the thread starts on the first."""
        with self.lock:
            self.connections.add(connection)
            if self.thread is None:  # started by the first connection: importing and forking start nothing
                self.stopped = threading.Event()
                self.thread = threading.Thread(target=self._run, args=(self.stopped,), name="db-watch",
                                               daemon=True)
                self.thread.start()

    def check_connect(self) -> None:
        """Refuse a new connection at once while the server is judged hung."""
        if self.hung:
            raise psycopg.OperationalError("the database did not answer a probe within "
                                           f"{PROBE_TIMEOUT:g} s (hung); not connecting until it does")

    def stop(self) -> None:
        """End the thread (the engine is being disposed; a later connection starts a new one)."""
        with self.lock:
            thread, stopped, self.thread = self.thread, self.stopped, None
            self.busy_since, self.hung = {}, False
        if thread is not None and stopped is not None:
            stopped.set()
            thread.join(PROBE_TIMEOUT + 1)

    def _run(self, stopped: threading.Event) -> None:
        last_probe = 0.0
        while not stopped.wait(TICK):
            now = time.monotonic()
            suspects = self._suspects(now)
            if (suspects or self.hung) and now - last_probe >= (REPROBE_EVERY if self.hung else 0):
                last_probe = now
                alive = self._probe()
                if alive != (not self.hung):
                    log.warning("database %s", "answers again" if alive else
                                f"did not answer a probe within {PROBE_TIMEOUT:g} s: cutting "
                                f"{len(suspects)} waiting connection(s)")
                self.hung = not alive
                if not alive:
                    for connection in suspects:
                        cut(connection)

    def _suspects(self, now: float) -> list[psycopg.Connection[Any]]:
        """The connections busy on a statement since at least SUSPECT_AFTER seconds."""
        with self.lock:
            connections = list(self.connections)
        busy, suspects = {}, []
        for connection in connections:
            if not is_busy(connection):
                continue
            since = busy[id(connection)] = self.busy_since.get(id(connection), now)
            if now - since >= SUSPECT_AFTER:
                suspects.append(connection)
        self.busy_since = busy
        return suspects

    def _probe(self) -> bool:
        """True when a new connection answers ``SELECT 1`` within PROBE_TIMEOUT."""
        answered = threading.Event()
        opened: list[psycopg.Connection[Any]] = []

        def ping() -> None:
            with contextlib.suppress(psycopg.Error, OSError), \
                    psycopg.connect(self.dsn, autocommit=True, **self.options) as connection:
                opened.append(connection)
                connection.execute("SELECT 1")
                answered.set()

        thread = threading.Thread(target=ping, name="db-watch-probe", daemon=True)
        thread.start()
        thread.join(PROBE_TIMEOUT)
        if thread.is_alive():  # connected, then hung on SELECT 1: end it the same way
            for connection in opened:
                cut(connection)
        return answered.is_set()


def is_busy(connection: psycopg.Connection[Any]) -> bool:
    """True while a statement of ``connection`` waits for the server's answer."""
    try:
        return not connection.closed and connection.pgconn.transaction_status == pq.TransactionStatus.ACTIVE
    except (psycopg.Error, AttributeError):
        return False


def cut(connection: psycopg.Connection[Any]) -> None:
    """Shut down the socket of a waiting ``connection``: the driver's wait ends with an error at once.

    The socket is shut down, not closed: the driver still owns the descriptor and closes it itself.
    """
    with contextlib.suppress(psycopg.Error, OSError, ValueError):
        if not is_busy(connection):  # answered meanwhile
            return
        duplicate = socket.fromfd(connection.pgconn.socket, socket.AF_INET, socket.SOCK_STREAM)
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
        finally:
            duplicate.close()
