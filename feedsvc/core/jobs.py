"""Jobs' plumbing: database leases (one process per named job at a time) and triggers claimed once.

A lease row (``job_leases``) names its holder (``host:pid:suffix``) and an expiry. Taking it is one
conditional UPDATE (free, expired or already ours) or, for a first use, one INSERT that the primary key
lets only one process win — atomic on SQLite (writers are serialised) and PostgreSQL (the UPDATE
re-checks its WHERE on the row it waited for). The TTL is short (``FEEDSVC_LEASE_SECONDS``, 30 s): a
heartbeat thread renews it every third of it while the holder works, so a slow upstream request never
loses it, and a holder that died on another host frees it within one TTL. A holder on this host whose
process is gone frees it at once.

A trigger (a job's scheduled fire time, ``job_triggers``) is claimed once, by the lease's holder, so two
schedulers never both run it. A run cut short gives it back: stopped, it drops its claim; killed, its claim
passes with its lease to the process that takes that over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from feedsvc.core.models import JobLease, JobTrigger

DEFAULT_TTL = timedelta(seconds=30)
log = logging.getLogger(__name__)


class LeaseLost(RuntimeError):
    """Our lease expired and another process took it: stop writing."""


def utcnow() -> datetime:
    """The current time, UTC, whole seconds: how runs and triggers are stamped."""
    return datetime.now(UTC).replace(microsecond=0)


def new_holder() -> str:
    """A name unique to this process and call: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_gone(holder: str) -> bool:
    """True when ``holder`` names a process of this host that no longer runs (or is a zombie)."""
    host, pid_text, _suffix = (holder.rsplit(":", 2) + ["", ""])[:3]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    try:  # killed but not yet reaped by its parent: it will never write again
        return Path(f"/proc/{pid_text}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


class Lease:
    """One process's claim on the job ``name``; ``busy`` names the other holder after a refusal."""

    def __init__(self, engine: Engine, name: str, ttl: timedelta = DEFAULT_TTL) -> None:
        self.engine, self.name, self.ttl = engine, name, ttl
        self.holder = new_holder()
        self.busy: tuple[str, datetime] | None = None  # (holder, expires_at) of the lease we did not get
        self.taken_from: str | None = None
        self._lost, self._stop = threading.Event(), threading.Event()
        self._heartbeat: threading.Thread | None = None

    def acquire(self) -> bool:
        """Take the lease if it is free, expired, ours or held by a dead local process; else False.

        Taken from a holder that never gave it up (it died, or stopped renewing), ``taken_from`` names it.
        """
        now = datetime.now(UTC)
        if self._take(now, JobLease.holder == self.holder) or self._insert(now):
            return True
        with self.engine.connect() as conn:
            row = conn.execute(select(JobLease.holder, JobLease.expires_at)
                               .where(JobLease.name == self.name)).first()
        if row is None:  # released meanwhile
            return self._insert(now)
        if self._take(now, and_(JobLease.holder == row.holder, JobLease.expires_at < now)):
            self.taken_from = row.holder
            return True
        if holder_is_gone(row.holder) and self._take(now, JobLease.holder == row.holder):
            log.warning("lease %s: its holder %s is gone; taken over", self.name, row.holder)
            self.taken_from = row.holder
            return True
        self.busy = (row.holder, row.expires_at)
        return False

    def renew(self) -> None:
        """Extend the lease; raise LeaseLost if another process has taken it over meanwhile."""
        if self._lost.is_set() or not self._take(datetime.now(UTC), JobLease.holder == self.holder):
            self._lost.set()
            raise LeaseLost(f"lease {self.name!r} was taken over after it expired")

    def check(self) -> None:
        """Raise LeaseLost if the heartbeat found the lease taken over; no database round trip."""
        if self._lost.is_set():
            raise LeaseLost(f"lease {self.name!r} was taken over after it expired")

    def start_heartbeat(self) -> None:
        """Renew the lease every third of its TTL from a daemon thread until release()."""
        self._heartbeat = threading.Thread(target=self._beat, name=f"lease {self.name}", daemon=True)
        self._heartbeat.start()

    def release(self) -> None:
        """Stop the heartbeat and give the lease up (only if still ours)."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=self.ttl.total_seconds())
        with self.engine.begin() as conn:
            conn.execute(delete(JobLease).where(JobLease.name == self.name, JobLease.holder == self.holder))

    def _beat(self) -> None:
        while not self._stop.wait(self.ttl.total_seconds() / 3):
            try:
                self.renew()
            except LeaseLost:
                log.error("lease %s: taken over by another process; its holder stops", self.name)
                return
            except SQLAlchemyError as exc:  # a database hiccup: try again at the next beat
                log.warning("lease %s: renewal failed: %s", self.name, exc.__class__.__name__)

    def _take(self, now: datetime, condition: ColumnElement[bool]) -> bool:
        with self.engine.begin() as conn:
            return bool(conn.execute(
                update(JobLease).where(JobLease.name == self.name).where(condition)
                .values(holder=self.holder, expires_at=now + self.ttl)
            ).rowcount)

    def _insert(self, now: datetime) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(JobLease).values(name=self.name, holder=self.holder, expires_at=now + self.ttl)
                )
        except IntegrityError:
            return False
        return True


def claim_trigger(engine: Engine, job: str, scheduled_at: datetime, holder: str, now: datetime,
                  taken_from: str | None = None) -> str | None:
    """Record that ``holder`` runs ``job``'s trigger at ``scheduled_at``; None, or who already did.

    Called while holding the job's lease, so a trigger is claimed only by the process about to run it. A
    claim of ``taken_from``, whose lease we took over, is taken over too: that run never finished.
    """
    try:
        with engine.begin() as conn:
            conn.execute(insert(JobTrigger).values(job=job, scheduled_at=scheduled_at, holder=holder,
                                                   claimed_at=now))
    except IntegrityError:
        return _take_over_claim(engine, job, scheduled_at, holder, now, taken_from)
    return None


def _take_over_claim(engine: Engine, job: str, scheduled_at: datetime, holder: str, now: datetime,
                     taken_from: str | None) -> str | None:
    claim = (JobTrigger.job == job, JobTrigger.scheduled_at == scheduled_at)
    with engine.begin() as conn:
        if taken_from is not None and conn.execute(
                update(JobTrigger).where(*claim, JobTrigger.holder == taken_from)
                .values(holder=holder, claimed_at=now)).rowcount:
            log.warning("trigger %s at %s: its run by %s never finished; running it again", job,
                        scheduled_at.isoformat(), taken_from)
            return None
        return conn.scalar(select(JobTrigger.holder).where(*claim)) or "another process"


def _release_trigger(engine: Engine, job: str, scheduled_at: datetime, holder: str) -> None:
    """Give up ``holder``'s claim of a trigger whose run was cut short, so that a restart runs it."""
    try:
        with engine.begin() as conn:
            conn.execute(delete(JobTrigger).where(JobTrigger.job == job, JobTrigger.holder == holder,
                                                  JobTrigger.scheduled_at == scheduled_at))
    except SQLAlchemyError as exc:  # the database is gone: the lease, left to expire, frees the claim
        log.warning("trigger %s at %s: its claim was not given up: %s", job, scheduled_at.isoformat(),
                    exc.__class__.__name__)


@dataclass(frozen=True)
class Turn:
    """A job's turn: ``held`` when it may run; else who has the lease (and until when) or ran the trigger."""

    lease: Lease
    held: bool
    holder: str | None = None
    held_until: datetime | None = None


@contextmanager
def job_turn(engine: Engine, name: str, ttl: timedelta,
             scheduled_at: datetime | None = None) -> Iterator[Turn]:
    """Hold the lease ``name`` with its heartbeat and claim the trigger ``scheduled_at`` once; release after.

    The one way a job takes its turn: the rate jobs and the upstream syncs share it.
    """
    lease = Lease(engine, name, ttl)
    if not lease.acquire():
        holder, until = lease.busy or (None, None)
        yield Turn(lease, False, holder, until)
        return
    lease.start_heartbeat()
    claimed = False
    try:
        other = None
        if scheduled_at is not None:
            other = claim_trigger(engine, name, scheduled_at, lease.holder, utcnow(), lease.taken_from)
            claimed = other is None
            if other is not None:
                log.info("trigger %s at %s already run by %s", name, scheduled_at.isoformat(), other)
        yield Turn(lease, other is None, other)
    except BaseException:  # stopped (or the database went away) before the run finished
        if claimed and scheduled_at is not None:
            _release_trigger(engine, name, scheduled_at, lease.holder)
        raise
    finally:
        lease.release()
