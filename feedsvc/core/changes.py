"""Change markers: a revision and a time per scope, bumped in the same transaction as every write.

ETags and Last-Modified of feeds, pages, embeds and rates derive from them, so a reader gets a 304
until something in its scope changes, and a new ETag the moment a write commits, on every worker.
"""

from __future__ import annotations

import queue
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from flask import current_app, g, has_request_context
from psycopg import pq
from sqlalchemy import Engine, bindparam, event, select, update
from sqlalchemy.orm import Session

from feedsvc.core.db import get_engine
from feedsvc.core.models import ChangeMarker
from feedsvc.core.websub import note_changed_scopes

# Used only if a scope has no marker row (seeding creates them): a fixed time keeps bytes stable.
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
READ_MARKERS = "feedsvc_markers"  # flask.g: the markers this request has read, by scope
# Built and compiled once: constructing the statement per request costs more than running it.
_MARKER = select(ChangeMarker.revision, ChangeMarker.changed_at).where(
    ChangeMarker.scope == bindparam("scope")
)
# PostgreSQL's marker read, prepared once per connection of the reader and answered in binary.
_PG_NAME = b"feedsvc_read_marker"
_PG_MARKER = b"SELECT revision, changed_at FROM change_markers WHERE scope = $1"
_PG_TEXT = 25  # the parameter's type oid
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # a binary timestamptz counts microseconds from it


@dataclass(frozen=True)
class Marker:
    """The revision and time (whole seconds) of the last change in a scope."""

    scope: str
    revision: int
    changed_at: datetime


def bump_markers(session: Session, scopes: Iterable[str], now: datetime) -> None:
    """Advance the revision of every scope in ``scopes`` (missing ones are created)."""
    scopes = sorted(set(scopes))  # a fixed order, so concurrent writers lock rows alike
    known = set(session.scalars(select(ChangeMarker.scope).where(ChangeMarker.scope.in_(scopes))))
    for scope in scopes:
        if scope not in known:
            session.add(ChangeMarker(scope=scope, revision=0, changed_at=now))
    session.flush()
    session.execute(
        update(ChangeMarker)
        .where(ChangeMarker.scope.in_(scopes))
        .values(revision=ChangeMarker.revision + 1, changed_at=now)
    )
    note_changed_scopes(session, scopes)  # announced to a WebSub hub once the transaction commits


def read_marker(scope: str, session: Session | None = None) -> Marker:
    """The committed marker of ``scope`` (or, given ``session``, the marker as that session sees it)."""
    if session is not None:
        row = session.execute(_MARKER, {"scope": scope}).first()
        return _marker(scope, row and (row[0], row[1]))
    # Read once per request: a view and the functions it calls (a rates page's range and its ETag) often
    # need the same marker, and on PostgreSQL each read is a round trip.
    seen = g.setdefault(READ_MARKERS, {}) if has_request_context() else {}
    if scope in seen:
        return seen[scope]
    reader = current_app.extensions.get("feedsvc.markers")
    if reader is None:
        reader = current_app.extensions["feedsvc.markers"] = _RawReader(get_engine())
    marker = seen[scope] = reader.read(scope)
    return marker


def _marker(scope: str, row: tuple[int, datetime] | None) -> Marker:
    if row is None:
        return Marker(scope, 0, EPOCH)
    return Marker(scope, row[0], row[1].replace(microsecond=0))


class _RawReader:
    """Reads markers on DBAPI connections of its own, in autocommit: no snapshot outlives a read.

    Every feed, page and rate request reads one, and most end in a 304 or a cache hit. Measured in
    process on SQLite, a read through a SQLAlchemy Connection cost 100 µs, through the pool's raw
    connections 40 µs (checkout, reset, checkin; on PostgreSQL also a ping per checkout), on an idle
    connection of its own 11 µs; bench/feeds.py shows what that does to a 304. The statement is
    compiled once for the engine's dialect; the column's type still converts the time. On PostgreSQL
    the read goes to libpq directly (``_libpq_row``). Connections come from the engine (so its connect
    hooks and the hung-server watch apply) and are closed when it is disposed.
    """

    MAX_IDLE = 8  # more idle connections than concurrent requests of a worker would only hold sockets

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        compiled = _MARKER.compile(dialect=engine.dialect)
        self.compiled = compiled
        self.sql = compiled.string
        self.names = compiled.positiontup if compiled.positional else None
        changed_at = ChangeMarker.__table__.c.changed_at.type
        self.to_datetime = changed_at.dialect_impl(engine.dialect).result_processor(engine.dialect, None)
        self.libpq = engine.dialect.name == "postgresql"
        self.query = _libpq_row if self.libpq else self._cursor_row
        self.idle: queue.SimpleQueue[Any] = queue.SimpleQueue()
        event.listen(engine, "engine_disposed", lambda _engine: self.close_idle())

    def read(self, scope: str) -> Marker:
        """The committed marker of ``scope``, in one primary-key lookup."""
        if self.libpq:
            args: Any = scope
        else:
            params = self.compiled.construct_params({"scope": scope})
            args = tuple(params[name] for name in self.names) if self.names is not None else params
        try:
            connection = self.idle.get_nowait()
        except queue.Empty:
            row = self._fetch(self._connect(), args)
        else:
            try:
                row = self._fetch(connection, args)
            except self.engine.dialect.loaded_dbapi.Error:  # dropped by the server while idle: once more
                row = self._fetch(self._connect(), args)
        if row is None:
            return _marker(scope, None)
        changed_at = self.to_datetime(row[1]) if self.to_datetime else row[1]
        return _marker(scope, (row[0], changed_at))

    def _cursor_row(self, connection: Any, args: Any) -> Any:
        cursor = connection.cursor()
        cursor.execute(self.sql, args)
        row = cursor.fetchone()
        cursor.close()
        return row

    def _fetch(self, connection: Any, args: Any) -> Any:
        try:
            row = self.query(connection, args)
        except BaseException:
            connection.close()  # never reuse a connection in an unknown state
            raise
        if self.idle.qsize() < self.MAX_IDLE:
            self.idle.put(connection)
        else:
            connection.close()
        return row

    def _connect(self) -> Any:
        fairy = self.engine.raw_connection()
        connection = fairy.dbapi_connection
        fairy.detach()  # ours from now on: the pool neither resets nor recycles it
        self.engine.dialect.set_isolation_level(connection, "AUTOCOMMIT")
        if self.libpq:
            try:
                _check(connection.pgconn, connection.pgconn.prepare(_PG_NAME, _PG_MARKER, [_PG_TEXT]))
            except BaseException:
                connection.close()
                raise
        return connection

    def close_idle(self) -> None:
        """Close every idle connection (the engine is being disposed)."""
        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                return


def _libpq_row(connection: psycopg.Connection[Any], scope: str) -> tuple[int, datetime] | None:
    """PostgreSQL: the marker row read through libpq, by the statement the connection prepared.

    psycopg's cursor costs about 46 µs of this process's CPU per read, this 7 µs (the server's share
    also drops, from 17 to 10 µs: no parse or plan, binary results), on every cached answer. libpq waits
    without the GIL, and the hung-server watch still sees the connection busy and can cut it.
    """
    pgconn = connection.pgconn
    result = pgconn.exec_prepared(_PG_NAME, [scope.encode()], result_format=pq.Format.BINARY)
    _check(pgconn, result)
    if result.ntuples == 0:
        return None
    revision = int.from_bytes(result.get_value(0, 0) or b"", "big", signed=True)
    micros = int.from_bytes(result.get_value(0, 1) or b"", "big", signed=True)
    return revision, _PG_EPOCH + timedelta(microseconds=micros)


def _check(pgconn: pq.abc.PGconn, result: pq.abc.PGresult) -> None:
    """Raise what psycopg would for a failed result: an OperationalError when the connection is lost."""
    if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
        return
    if pgconn.status == pq.ConnStatus.BAD or not result.error_field(pq.DiagnosticField.SQLSTATE):
        raise psycopg.OperationalError(pq.error_message(result) or pq.error_message(pgconn))
    raise psycopg.errors.error_from_result(result)
