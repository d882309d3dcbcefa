"""Job leases: one holder at a time, in one process and across two real processes; triggers run once."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug import Response

from feedsvc.core.jobs import Lease, LeaseLost, claim_trigger, holder_is_gone, job_turn, utcnow
from feedsvc.core.models import JobLease, RateObservation

FEEDSVC = str(Path(sys.executable).parent / "feedsvc")
SERVED = [date(2025, 12, 24), date(2025, 12, 25), date(2025, 12, 26), date(2025, 12, 27), date(2025, 12, 28)]


@pytest.fixture
def engine(app: Flask):
    return app.extensions["feedsvc.engine"]


def test_one_holder_at_a_time(engine) -> None:
    first, second = Lease(engine, "rates:x"), Lease(engine, "rates:x")
    assert first.acquire()
    assert not second.acquire()
    first.renew()  # the holder may renew
    assert Lease(engine, "rates:y").acquire()  # other names are independent
    first.release()
    assert second.acquire()


def test_an_expired_lease_is_taken_over(engine) -> None:
    crashed = Lease(engine, "rates:x", ttl=timedelta(seconds=-1))  # as if its holder died long ago
    assert crashed.acquire()
    successor = Lease(engine, "rates:x")
    assert successor.acquire()
    with pytest.raises(LeaseLost):
        crashed.renew()  # the old holder learns it must stop
    crashed.release()  # a late release by the old holder does not free the successor's lease
    assert not Lease(engine, "rates:x").acquire()


def test_a_released_lease_leaves_no_row_and_a_busy_one_names_its_holder(engine) -> None:
    held = Lease(engine, "rates:x")
    assert held.acquire()
    busy = Lease(engine, "rates:x")
    assert not busy.acquire()
    assert busy.busy is not None and busy.busy[0] == held.holder
    held.release()
    with Session(engine) as session:
        assert session.scalars(select(JobLease)).all() == []


def test_the_heartbeat_keeps_a_short_lease_while_its_holder_works(engine) -> None:
    held = Lease(engine, "rates:x", ttl=timedelta(seconds=1.5))
    assert held.acquire()
    held.start_heartbeat()
    try:
        time.sleep(3)  # twice the TTL: without the heartbeat the lease would have expired
        assert not Lease(engine, "rates:x").acquire()
        held.check()  # still ours
    finally:
        held.release()
    assert Lease(engine, "rates:x").acquire()  # released


def test_a_lease_of_a_holder_that_died_elsewhere_expires_within_its_ttl(engine) -> None:
    elsewhere = Lease(engine, "rates:x", ttl=timedelta(seconds=2))
    elsewhere.holder = "another-host:1:abcdef12"  # no pid of ours to check: only the expiry frees it
    assert elsewhere.acquire()
    successor = Lease(engine, "rates:x")
    assert not successor.acquire()
    assert successor.busy is not None and successor.busy[0] == "another-host:1:abcdef12"
    time.sleep(2.5)
    assert successor.acquire()


def test_a_lease_of_a_dead_local_process_is_free_at_once(engine) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    dead = Lease(engine, "rates:x", ttl=timedelta(minutes=10))
    dead.holder = f"{socket.gethostname()}:{gone.stdout.strip()}:abcdef12"
    assert dead.acquire()
    assert holder_is_gone(dead.holder) and not holder_is_gone(Lease(engine, "rates:y").holder)
    assert Lease(engine, "rates:x").acquire()  # 10 minutes left, but its process has ended


def test_a_trigger_is_run_to_its_end_once_and_given_back_when_its_run_is_cut_short(engine) -> None:
    ttl, done = timedelta(seconds=30), datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
    with job_turn(engine, "rates:x", ttl, done) as first:
        assert first.held
    with job_turn(engine, "rates:x", ttl, done) as again:
        assert (again.held, again.holder) == (False, first.lease.holder)

    stopped = done + timedelta(hours=1)
    with pytest.raises(KeyboardInterrupt), job_turn(engine, "rates:x", ttl, stopped) as turn:
        assert turn.held
        raise KeyboardInterrupt  # Ctrl-C or SIGTERM during the run
    with job_turn(engine, "rates:x", ttl, stopped) as turn:
        assert turn.held  # the stopped run gave its trigger back

    killed = done + timedelta(hours=2)
    dead = Lease(engine, "rates:x", ttl=timedelta(seconds=-1))  # died during its run: claim and lease kept
    assert dead.acquire() and claim_trigger(engine, "rates:x", killed, dead.holder, utcnow()) is None
    with job_turn(engine, "rates:x", ttl, killed) as turn:
        assert turn.held and turn.lease.taken_from == dead.holder
    with job_turn(engine, "rates:x", ttl, killed) as again:
        assert (again.held, again.holder) == (False, turn.lease.holder)

    assert Lease(engine, "rates:x", ttl=timedelta(seconds=-1)).acquire()  # another one died, later
    with job_turn(engine, "rates:x", ttl, done) as turn:  # but it never ran this trigger
        assert turn.lease.taken_from is not None
        assert (turn.held, turn.holder) == (False, first.lease.holder)


def run_update(env: dict[str, str], **kwargs) -> subprocess.CompletedProcess | subprocess.Popen:
    args = [FEEDSVC, "rates", "update", "--date", "2025-12-28"]
    if kwargs.pop("background", False):
        return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_two_processes_never_run_the_same_source_at_once(app, database_urls, db_name, mirror,
                                                          upstream_bytes) -> None:
    entered, release = threading.Event(), threading.Event()

    def held_up(_request):  # the first process's first request waits here until we let it go
        entered.set()
        release.wait(60)
        return Response("Not Found", status=404)

    first_day = mirror.path("currency-api", date(2025, 12, 15))
    mirror.server.expect_request(first_day).respond_with_handler(held_up)
    for day in SERVED:
        mirror.serve("currency-api", day, upstream_bytes(f"currency-api/{day}.usd.json"))
    mirror.answer_404_elsewhere()
    env = {**os.environ, "FEEDSVC_DATABASE_URL": database_urls[db_name], "FEEDSVC_SCHEDULER": "off",
           "FEEDSVC_RATES_SOURCES": "currency-api",
           "FEEDSVC_SOURCE_CURRENCY_API_URL": mirror.template("currency-api"),
           "FEEDSVC_SOURCE_CURRENCY_API_FALLBACK_URL": mirror.template("currency-api-fallback")}

    first = run_update(env, background=True)
    try:
        assert entered.wait(60), first.communicate(timeout=5)
        second = run_update(env)  # runs while the first holds the lease
    finally:
        release.set()
        out, err = first.communicate(timeout=120)
    assert second.returncode == 75, second.stderr  # EX_TEMPFAIL: try again later
    holder = f"{socket.gethostname()}:{first.pid}:"
    assert re.search(rf"currency-api: skipped, another process holds it: {re.escape(holder)}\w+ until "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", second.stderr), second.stderr
    assert first.returncode == 0, err
    assert re.search(r"currency-api: \d+ rows written, 14 days checked", out), out
    primaries = [p for p in mirror.requested() if p.startswith("/cdn.jsdelivr.net/")]
    assert len(primaries) == len(set(primaries)) == 14  # every day asked once, by the first process only

    third = run_update(env)  # the lease was released: the next run works (and adds nothing)
    assert "currency-api: 0 rows written, 1 days checked" in third.stdout, third.stderr
    with Session(app.extensions["feedsvc.engine"]) as session:
        assert len(session.scalars(select(RateObservation)).all()) == 5 * 160  # 160 currencies a day
