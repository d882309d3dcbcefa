"""Real schedulers: two `feedsvc scheduler` processes on one PostgreSQL database run each trigger once,
and killing the one that holds the lease lets the other take over within one lease period; `feedsvc run`
updates stale rates at start instead of waiting for the next cron."""

from __future__ import annotations

import json
import signal
import socket
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from scheduler_procs import SlowUpstream, feedsvc_env, kill_group, serve_upstream, wait_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import JobLease, JobTrigger, RateRun, RateSourceDay

GRID = 3  # seconds between two triggers (FEEDSVC_SCHEDULER_SECONDS)
LEASE = 5  # FEEDSVC_LEASE_SECONDS


def mark_old_days_answered(app: Flask) -> None:
    """Days before yesterday answered for good: each run then asks for yesterday and today only."""
    now = datetime.now(UTC)
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        for back in range(2, 15):
            session.add(RateSourceDay(source="currency-api", date=now.date() - timedelta(days=back),
                                      status="none", checked_at=now))


def triggers(app: Flask) -> list[tuple[datetime, int]]:
    """(scheduled time, holder's pid) of every claimed trigger."""
    with Session(app.extensions["feedsvc.engine"]) as session:
        rows = session.execute(select(JobTrigger.scheduled_at, JobTrigger.holder)
                               .order_by(JobTrigger.scheduled_at))
        return [(at, int(holder.rsplit(":", 2)[1])) for at, holder in rows]


def running_holder(app: Flask) -> int | None:
    """The pid of the scheduler holding the lease once its run is open (its trigger claimed), or None."""
    with Session(app.extensions["feedsvc.engine"]) as session:
        holder = session.scalar(select(JobLease.holder))
        running = session.scalar(select(RateRun.id).where(RateRun.finished_at.is_(None)))
    return int(holder.rsplit(":", 2)[1]) if holder and running else None


def scheduled_runs(app: Flask) -> list[tuple[datetime, str | None]]:
    with Session(app.extensions["feedsvc.engine"]) as session:
        rows = session.execute(select(RateRun.scheduled_at, RateRun.error)
                               .where(RateRun.scheduled_at.is_not(None)).order_by(RateRun.id))
        return [tuple(row) for row in rows]


def run_spans(app: Flask) -> list[tuple[datetime, datetime]]:
    """(started, finished) of every finished run, whole seconds."""
    with Session(app.extensions["feedsvc.engine"]) as session:
        rows = session.execute(select(RateRun.started_at, RateRun.finished_at)
                               .where(RateRun.finished_at.is_not(None)))
        return [tuple(row) for row in rows]


def test_two_schedulers_run_each_trigger_once_and_survive_a_kill(app_factory, database_urls, db_name,
                                                                 processes) -> None:
    if db_name != "postgresql":
        pytest.skip("two scheduler processes share a PostgreSQL database in production")
    app = app_factory()
    mark_old_days_answered(app)
    upstream = SlowUpstream(delay=0.05)
    with serve_upstream(upstream) as origin:
        env = feedsvc_env(database_urls[db_name], origin, FEEDSVC_SCHEDULER_SECONDS=str(GRID),
                          FEEDSVC_LEASE_SECONDS=str(LEASE))
        by_pid = {p.pid: p for p in (processes.start(["scheduler"], env, name) for name in "ab")}
        wait_for(lambda: all("Scheduler started" in processes.output(name)[1] for name in "ab"), 60,
                 "both schedulers to start")
        # Each start's catch-up runs the missed trigger at once; a trigger that fires while a run of the
        # source is still going is not run again. From the next one on, every trigger runs.
        steady = datetime.now(UTC) + timedelta(seconds=2 * GRID)
        wait_for(lambda: len(triggers(app)) >= 4, 60, "four triggers run")
        victim = by_pid[wait_for(lambda: running_holder(app), 30, "a scheduler running a trigger")]
        [survivor] = [p for p in by_pid.values() if p is not victim]
        killed_at, killed = datetime.now(UTC), time.monotonic()
        kill_group(victim)
        # The survivor's next trigger takes the dead holder's lease: within one lease period.
        wait_for(lambda: any(pid == survivor.pid and at > killed_at for at, pid in triggers(app)),
                 LEASE, "the survivor to take over")
        taken_over = time.monotonic() - killed
        wait_for(lambda: sum(at > killed_at and error is None for at, error in scheduled_runs(app)) >= 4, 30,
                 "four more triggers run")
        survivor.send_signal(signal.SIGTERM)
        assert survivor.wait(timeout=30) == 0, processes.output("ab"[list(by_pid).index(survivor.pid)])
    logs = processes.output("a")[1] + processes.output("b")[1]
    assert "rates update currency-api: no success since the trigger at " in logs  # the catch-up at start
    assert f"its holder {socket.gethostname()}:{victim.pid}:" in logs and "is gone; taken over" in logs
    assert "Traceback" not in logs

    claimed, runs = triggers(app), scheduled_runs(app)
    times = [at for at, _pid in claimed]
    assert taken_over <= LEASE
    assert {pid for _at, pid in claimed} == set(by_pid)  # both worked, neither twice on one trigger
    assert all(at.second % GRID == 0 and at.microsecond == 0 for at in times)
    # Each trigger is run to its end once (rate_runs). A run cut short gives its trigger back: stopped,
    # its claim is dropped; killed, it keeps it until the process that takes the lease over from it
    # runs that trigger again (if its turn is that trigger's). Once both run steadily, every trigger is
    # there but one that fired while a run of the source was still going (a loaded machine is slow).
    ended = Counter(at for at, error in runs if error not in ("abandoned", "interrupted"))
    assert set(ended.values()) == {1}
    assert set(times) == {at for at, error in runs if error != "interrupted"}
    later = [at for at in times if at >= steady]
    assert len(later) >= 4
    grid = [later[0] + timedelta(seconds=GRID * n) for n in range((later[-1] - later[0]).seconds // GRID + 1)]
    busy = run_spans(app)
    for missing in sorted(set(grid) - set(later)):
        assert any(start <= missing <= end + timedelta(seconds=1) for start, end in busy), (missing, busy)
    errors = Counter(error for _at, error in runs)
    assert set(errors) <= {None, "abandoned", "interrupted"}
    assert errors["abandoned"] <= 1  # the victim's run (unless it just ended), closed by the survivor
    today = datetime.now(UTC).date()
    asked = upstream.count(str(today)) + upstream.count(str(today - timedelta(days=1)))
    assert asked <= 2 * len(runs)  # no run fetched a day twice
    with Session(app.extensions["feedsvc.engine"]) as session:
        assert session.scalars(select(JobLease)).all() == []  # the survivor released it on SIGTERM


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_feedsvc_run_updates_at_once_when_the_rates_are_older_than_their_schedule(
        app_factory, database_urls, db_name, processes) -> None:
    app = app_factory()
    mark_old_days_answered(app)
    port = free_port()
    with serve_upstream(SlowUpstream()) as origin:
        env = feedsvc_env(database_urls[db_name], origin, FEEDSVC_SCHEDULER="on",
                          FEEDSVC_RATES_CRON="0 4 1 1 *")  # once a year: only the catch-up can run now
        server = processes.start(["run", "--port", str(port)], env, "run")

        def health() -> dict | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                    body = json.load(answer)
            except OSError:
                return None
            return body if not body["rates"]["stale"] else None

        assert wait_for(health, 60, "fresh rates", step=0.2)["status"] == "ok"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 128 + signal.SIGTERM
    out, err = processes.output("run")
    assert "rates update currency-api: no success since the trigger at " in err, (out, err)
    with Session(app.extensions["feedsvc.engine"]) as session:
        [run] = session.scalars(select(RateRun)).all()
    assert (run.error, run.scheduled_at.strftime("%m-%d %H:%M")) == (None, "01-01 04:00")
