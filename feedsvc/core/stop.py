"""SIGTERM handled like Ctrl-C: the main thread gets an exception, worker threads see a stop flag.

A job interrupted either way closes its run as ``interrupted`` with the rows it wrote and releases its
lease (``feedsvc/rates/ingest/jobs.py``), instead of dying with the run open and the lease held.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

_requested = threading.Event()


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


def check_stop() -> None:
    """Raise Terminated if a stop was asked for (called by jobs between two days)."""
    if _requested.is_set():
        raise Terminated()


def _note_signal(_signum: int, _frame: FrameType | None) -> None:
    _requested.set()


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    _requested.set()
    raise Terminated()
