"""Database leases: at most one process works on a named job (one rate source) at a time.

A lease row (``job_leases``) names its holder and an expiry. Taking it is one conditional UPDATE
(free, expired or already ours) or, for a first use, one INSERT that the primary key lets only one
process win — atomic on SQLite (writers are serialised) and PostgreSQL (the UPDATE re-checks its
WHERE on the row it waited for). The expiry frees the lease of a process that died; a holder renews
it while it works.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, or_, update
from sqlalchemy.exc import IntegrityError

from feedsvc.models import JobLease

DEFAULT_TTL = timedelta(minutes=10)


class LeaseLost(RuntimeError):
    """Our lease expired and another process took it: stop writing."""


def new_holder() -> str:
    """A name unique to this process and call: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease:
    """One process's claim on the job ``name``."""

    def __init__(self, engine: Engine, name: str, ttl: timedelta = DEFAULT_TTL) -> None:
        self.engine, self.name, self.ttl = engine, name, ttl
        self.holder = new_holder()

    def acquire(self) -> bool:
        """Take the lease if it is free, expired or ours (renewing it); False if someone holds it."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(JobLease)
                .where(JobLease.name == self.name)
                .where(or_(JobLease.holder == self.holder, JobLease.expires_at < now))
                .values(holder=self.holder, expires_at=now + self.ttl)
            ).rowcount
        if taken:
            return True
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(JobLease).values(name=self.name, holder=self.holder, expires_at=now + self.ttl)
                )
        except IntegrityError:
            return False
        return True

    def renew(self) -> None:
        """Extend the lease; raise LeaseLost if another process has taken it over meanwhile."""
        if not self.acquire():
            raise LeaseLost(f"lease {self.name!r} was taken over after it expired")

    def release(self) -> None:
        """Give the lease up (only if still ours)."""
        with self.engine.begin() as conn:
            conn.execute(delete(JobLease).where(JobLease.name == self.name, JobLease.holder == self.holder))


@contextmanager
def hold_lease(engine: Engine, name: str, ttl: timedelta = DEFAULT_TTL) -> Iterator[Lease | None]:
    """Yield the lease while held, or None when another process holds it; release on exit."""
    lease = Lease(engine, name, ttl)
    if not lease.acquire():
        yield None
        return
    try:
        yield lease
    finally:
        lease.release()
