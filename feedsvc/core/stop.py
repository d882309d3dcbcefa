"""SIGTERM handled like Ctrl-C: the main thread gets an exception, worker threads see a stop flag.

A job interrupted either way closes its run as ``interrupted`` with the rows it wrote and releases its
lease (``feedsvc/rates/ingest/jobs.py``), instead of dying with the run open and the lease held. A worker
thread waiting (a pause between requests, a request in flight) is woken at once, not at its timeout.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

_requested = threading.Event()
# What a stop also calls at once, by owner: no lock, since a signal handler calls them (a dict's single
# operations are atomic).
_on_stop: dict[object, Callable[[], None]] = {}


class Terminated(SystemExit):
    """SIGTERM arrived: exit with 128 + 15, as a process killed by it would."""

    def __init__(self) -> None:
        super().__init__(128 + signal.SIGTERM)


def raise_on_sigterm() -> None:
    """From now on SIGTERM raises Terminated in the main thread and asks worker threads to stop."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def stop_on_signals() -> None:
    """From now on SIGTERM and SIGINT only ask to stop (see stop_requested): for a main thread that polls.

    Raising in the main thread of a scheduler could land inside APScheduler, which swallows it.
    """
    signal.signal(signal.SIGTERM, _note_signal)
    signal.signal(signal.SIGINT, _note_signal)


def stop_requested() -> bool:
    """True once a stop was asked for."""
    return _requested.is_set()


def request_stop() -> None:
    """Ask worker threads to stop at their next check (Ctrl-C in the main thread, or SIGTERM)."""
    _requested.set()
    for call in list(_on_stop.values()):
        call()


@contextmanager
def calling_on_stop(call: Callable[[], None]) -> Iterator[None]:
    """Within, a stop request also calls ``call`` at once (it must be quick and safe from any thread)."""
    owner = object()
    _on_stop[owner] = call
    try:
        yield
    finally:
        del _on_stop[owner]


def wait_or_stop(seconds: float) -> None:
    """Sleep ``seconds``; raise Terminated as soon as a stop is asked for."""
    if _requested.wait(seconds):
        raise Terminated()


def check_stop() -> None:
    """Raise Terminated if a stop was asked for (jobs call it before each request and after each day)."""
    if _requested.is_set():
        raise Terminated()


def _note_signal(_signum: int, _frame: FrameType | None) -> None:
    request_stop()


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    request_stop()
    raise Terminated()
