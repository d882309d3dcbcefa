"""Helpers for the job tests: a slow local currency-api upstream and real feedsvc processes.

The upstream is a real HTTP server on 127.0.0.1 serving the recorded payloads of
tests/fixtures/upstream/currency-api (404 for other days, like a day the CDN never built), each answer
after ``delay`` seconds, so a job can be stopped half-way. Every process is started in its own process
group and killed with it in ``Processes.kill_all`` (call it in a finally).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from servers import serve

FEEDSVC = str(Path(sys.executable).parent / "feedsvc")
PAYLOADS = Path(__file__).parents[1] / "fixtures" / "upstream" / "currency-api"
DAY_PATH = re.compile(r"/(currency-api|fallback)/(\d{4}-\d\d-\d\d)\.usd\.json")


class SlowUpstream:
    """A WSGI app answering currency-api's URLs from the recorded payloads, ``delay`` seconds late."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.requested: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path = environ["PATH_INFO"]
        with self._lock:
            self.requested.append(path)
        time.sleep(self.delay)
        match = DAY_PATH.fullmatch(path)
        primary = match is not None and match.group(1) == "currency-api"
        payload = PAYLOADS / f"{match.group(2)}.usd.json" if primary else None
        if payload is None or not payload.exists():
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [payload.read_bytes()]

    def count(self, day: str) -> int:
        """How often the primary URL of ``day`` (YYYY-MM-DD) was asked for."""
        with self._lock:
            return self.requested.count(f"/currency-api/{day}.usd.json")


@contextmanager
def serve_upstream(upstream: SlowUpstream) -> Iterator[str]:
    """Serve ``upstream`` on a free port of 127.0.0.1; yield its origin."""
    yield from serve(upstream)


def feedsvc_env(database_url: str, origin: str, **settings: str) -> dict[str, str]:
    """The environment of a feedsvc process on ``database_url`` with currency-api at ``origin``."""
    return {**os.environ, "FEEDSVC_DATABASE_URL": database_url, "FEEDSVC_SCHEDULER": "off",
            "FEEDSVC_RATES_SOURCES": "currency-api",
            "FEEDSVC_SOURCE_CURRENCY_API_URL": origin + "/currency-api/{date:%Y-%m-%d}.usd.json",
            "FEEDSVC_SOURCE_CURRENCY_API_FALLBACK_URL": origin + "/fallback/{date:%Y-%m-%d}.usd.json",
            **settings}


class Processes:
    """Real feedsvc processes, each in its own process group, output in files under ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict[str, str], name: str) -> subprocess.Popen:
        """Start ``feedsvc ARGS``; its stdout and stderr go to NAME.out and NAME.err."""
        out = (self.directory / f"{name}.out").open("w")
        err = (self.directory / f"{name}.err").open("w")
        process = subprocess.Popen([FEEDSVC, *args], env=env, stdout=out, stderr=err, text=True,
                                   start_new_session=True)
        out.close()
        err.close()
        self.started.append(process)
        return process

    def output(self, name: str) -> tuple[str, str]:
        """What process NAME printed so far: (stdout, stderr)."""
        return ((self.directory / f"{name}.out").read_text(), (self.directory / f"{name}.err").read_text())

    def kill_all(self) -> None:
        """SIGKILL every process group still running, and reap them."""
        for process in self.started:
            if process.poll() is None:
                kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL ``process``'s group (it leads one) and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, step: float = 0.05) -> Any:
    """Poll ``condition`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
