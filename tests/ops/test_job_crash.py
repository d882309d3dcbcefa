"""A real `feedsvc rates backfill` killed half-way: kill -9 then a rerun, SIGTERM, and a busy lease; and a
real `feedsvc run` stopped while its catch-up waits on an upstream that does not answer."""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from cluster import free_port
from flask import Flask
from scheduler_procs import SlowUpstream, feedsvc_env, kill_group, serve_upstream, wait_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.core.jobs import Lease
from feedsvc.core.models import JobLease, RateObservation, RateRun

DAYS = ["2025-12-24", "2025-12-25", "2025-12-26", "2025-12-27", "2025-12-28"]  # 5 currencies each
BACKFILL = ["rates", "backfill", "--source", "currency-api", "--from", DAYS[0], "--to", DAYS[-1]]


@pytest.fixture
def upstream() -> SlowUpstream:
    return SlowUpstream(delay=0.8)


@pytest.fixture
def origin(upstream: SlowUpstream) -> Iterator[str]:
    with serve_upstream(upstream) as url:
        yield url


LINES = 160  # each recorded currency-api day: one line per ISO 4217 currency


def landed(app: Flask) -> int:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return session.scalar(select(func.count()).select_from(RateObservation))


def runs(app: Flask) -> list[tuple[int, str | None, bool]]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return [(run.rows_written, run.error, run.finished_at is not None)
                for run in session.scalars(select(RateRun).order_by(RateRun.id))]


def leases(app: Flask) -> list[str]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return list(session.scalars(select(JobLease.holder)))


def test_kill_9_then_a_rerun_resumes_at_once_and_closes_the_run_as_abandoned(
        app, database_urls, db_name, upstream, origin, processes) -> None:
    env = feedsvc_env(database_urls[db_name], origin)
    first = processes.start(BACKFILL, env, "first")
    wait_for(lambda: landed(app) >= 2 * LINES, 60, "two days to land")
    kill_group(first)
    before = landed(app)
    assert 2 * LINES <= before < 5 * LINES
    [holder] = leases(app)  # left behind by the killed process
    assert holder.startswith(f"{socket.gethostname()}:{first.pid}:")
    assert runs(app) == [(0, None, False)]  # open, counting nothing: as kill -9 leaves it

    upstream.delay = 0
    started = time.monotonic()
    rerun = processes.start(BACKFILL, env, "rerun")
    assert rerun.wait(timeout=60) == 0, processes.output("rerun")
    assert time.monotonic() - started < 20  # the dead holder's lease (30 s) did not hold it up
    assert runs(app) == [(before, "abandoned", True), (5 * LINES - before, None, True)]
    assert landed(app) == 5 * LINES and leases(app) == []
    for day in DAYS[:before // LINES]:  # what landed before the kill was not asked again
        assert upstream.count(day) == 1, (day, upstream.requested)
    assert all(1 <= upstream.count(day) <= 2 for day in DAYS)


def test_sigterm_closes_the_run_as_interrupted_with_its_rows(app, database_urls, db_name, origin,
                                                              processes) -> None:
    backfill = processes.start(BACKFILL, feedsvc_env(database_urls[db_name], origin), "backfill")
    wait_for(lambda: landed(app) >= LINES, 60, "a day to land")
    backfill.send_signal(signal.SIGTERM)
    assert backfill.wait(timeout=30) == 128 + signal.SIGTERM, processes.output("backfill")
    rows = landed(app)
    assert LINES <= rows < 5 * LINES
    assert runs(app) == [(rows, "interrupted", True)]
    assert leases(app) == []  # released on the way out


@pytest.mark.parametrize("command", [BACKFILL, ["rates", "update", "--source", "currency-api"]])
def test_a_source_busy_elsewhere_exits_75_naming_the_holder_and_its_expiry(
        app, database_urls, db_name, origin, processes, command) -> None:
    lease = Lease(app.extensions["feedsvc.engine"], "rates:currency-api", timedelta(seconds=60))
    assert lease.acquire()  # held by this (live) test process
    try:
        busy = processes.start(command, feedsvc_env(database_urls[db_name], origin), "busy")
        assert busy.wait(timeout=60) == 75
        with Session(app.extensions["feedsvc.engine"]) as session:
            until = session.scalars(select(JobLease.expires_at)).one()
    finally:
        lease.release()
    out, err = processes.output("busy")
    with Session(app.extensions["feedsvc.engine"]) as session:
        assert session.scalars(select(RateRun)).all() == []
    assert f"currency-api: skipped, another process holds it: {lease.holder} until " in err, (out, err)
    assert f" until {until:%Y-%m-%d %H:%M:%S} UTC (renewed while it works)" in err


class SilentUpstream:
    """A WSGI app that takes each request and answers none until released (as a hung upstream)."""

    def __init__(self) -> None:
        self.asked = threading.Event()
        self.released = threading.Event()

    def __call__(self, environ: dict, start_response: Callable) -> list[bytes]:
        self.asked.set()
        self.released.wait(timeout=60)
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"gone"]


@pytest.mark.parametrize("command", ["run", "scheduler"])
def test_sigterm_stops_a_catch_up_waiting_on_a_silent_upstream_at_once(app, database_urls, db_name,
                                                                        processes, command) -> None:
    upstream = SilentUpstream()
    try:
        with serve_upstream(upstream) as origin:
            # The catch-up at start updates currency-api at once: its request waits up to the read
            # timeout (20 s), then retries; systemd and Docker give a stopped service 10 s.
            env = feedsvc_env(database_urls[db_name], origin, FEEDSVC_SCHEDULER="on")
            args = [command, "--port", str(free_port())] if command == "run" else [command]
            server = processes.start(args, env, command)
            assert upstream.asked.wait(timeout=60), processes.output(command)
            asked = time.monotonic()
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=30)
            stopped_in = time.monotonic() - asked
    finally:
        upstream.released.set()
    assert code == (128 + signal.SIGTERM if command == "run" else 0), processes.output(command)
    assert stopped_in < 5, (stopped_in, processes.output(command))
    assert runs(app) == [(0, "interrupted", True)]
    assert leases(app) == []


def scheduled_runs(app: Flask) -> list[tuple[object, str | None, bool]]:
    """(trigger, error, finished) of every run a scheduler started, oldest first."""
    with Session(app.extensions["feedsvc.engine"]) as session:
        return [(run.scheduled_at, run.error, run.finished_at is not None)
                for run in session.scalars(select(RateRun).order_by(RateRun.id))]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill-9"])
def test_a_restart_runs_the_trigger_that_a_stopped_or_killed_run_left_unfinished(
        app, database_urls, db_name, processes, stop) -> None:
    upstream, quick = SilentUpstream(), {"FEEDSVC_RATES_MIN_INTERVAL": "0"}  # no pause between the days
    try:
        with serve_upstream(upstream) as origin:
            first = processes.start(["scheduler"], feedsvc_env(database_urls[db_name], origin, **quick),
                                    "first")
            assert upstream.asked.wait(timeout=60), processes.output("first")  # its catch-up's run is open
            if stop == signal.SIGKILL:
                kill_group(first)
            else:
                first.send_signal(stop)
                assert first.wait(timeout=30) == 0, processes.output("first")
    finally:
        upstream.released.set()
    [(trigger, _, _)] = scheduled_runs(app)
    assert trigger is not None

    with serve_upstream(SlowUpstream()) as origin:  # answers at once now
        second = processes.start(["scheduler"], feedsvc_env(database_urls[db_name], origin, **quick),
                                 "second")
        wait_for(lambda: (len(runs := scheduled_runs(app)) == 2 and runs[1][2])
                 or "currency-api: skipped" in processes.output("second")[1], 60, "the restart's catch-up")
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0, processes.output("second")
    first_end = "interrupted" if stop == signal.SIGTERM else "abandoned"
    both = scheduled_runs(app)
    assert len(both) == 2, processes.output("second")  # the catch-up did not skip the source
    assert [(at, error) for at, error, _ in both] == [(trigger, first_end), (trigger, None)]
    assert "already run by" not in processes.output("second")[1]
    assert leases(app) == []
