"""Real conditions for the database-side fault tests: a small full filesystem, a read-only file, a lock.

Mounting needs root with CAP_SYS_ADMIN (a container may refuse): a test that needs it is skipped, saying
so, and the same fault is also covered without it where SQLite allows (``PRAGMA max_page_count``).
"""

from __future__ import annotations

import os
import pwd
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

FILLER = "filler.bin"


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30, check=False)


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True, timeout=30, check=True)


@contextmanager
def small_filesystem(directory: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``directory`` (created), unmounted afterwards; else skip."""
    directory.mkdir(parents=True, exist_ok=True)
    mounted = _mount("-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(directory))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs (needs root with CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        _umount(directory)


def fill_up(directory: Path, keep: int) -> Path:
    """Fill the filesystem of ``directory`` until only about ``keep`` bytes are free; the filler's path."""
    stats = os.statvfs(directory)
    free = stats.f_bavail * stats.f_frsize
    filler = directory / FILLER
    with filler.open("wb") as out:
        out.write(b"\0" * max(0, free - keep))
    return filler


def free_bytes(directory: Path) -> int:
    """Bytes free for files on the filesystem of ``directory``."""
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize


@contextmanager
def read_only_file(path: Path) -> Iterator[None]:
    """``path`` read-only for the feedsvc processes the test starts, and writable again afterwards.

    A non-root user gets mode 0444. Root ignores file modes, so for root the file is bind-mounted onto
    itself read-only (its directory stays writable, as when an operator chmods the file): SQLite opens it,
    reads, and refuses every write with "attempt to write a readonly database".
    """
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    bound = _mount("--bind", str(path), str(path))
    if bound.returncode != 0:
        pytest.skip(f"root ignores file modes, and a read-only bind mount failed: {bound.stderr.strip()}")
    try:
        remounted = _mount("-o", "remount,bind,ro", str(path))
        if remounted.returncode != 0:
            pytest.skip(f"cannot remount {path.name} read-only: {remounted.stderr.strip()}")
        yield
    finally:
        _umount(path)


@contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another connection holds SQLite's write lock on ``path`` (BEGIN IMMEDIATE) until the block ends."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
    finally:
        with suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        connection.close()


def page_count(path: Path) -> int:
    """The pages the SQLite database at ``path`` has now."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute("PRAGMA page_count").fetchone()[0]
    finally:
        connection.close()


def compact(path: Path) -> None:
    """Give the free pages of the SQLite database at ``path`` back (the upgrade's table rebuilds leave some),
    so that the next row written must grow the file."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("VACUUM")
    finally:
        connection.close()


@contextmanager
def postgres_on_small_filesystem(admin_url: str, name: str, size: str = "32m") -> Iterator[tuple[str, Path]]:
    """A new PostgreSQL database whose tables live on a small tmpfs (a tablespace); its URL and mount.

    The server must run on this machine as the ``postgres`` user; else the test is skipped.
    """
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("no local postgres user to own a tablespace directory")
    mount = Path(tempfile.mkdtemp(prefix="feedsvc-faults-"))  # under /tmp: the server can reach it
    mount.chmod(0o755)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with small_filesystem(mount, size):
            location = mount / "tablespace"
            location.mkdir()
            os.chown(location, owner.pw_uid, owner.pw_gid)
            with admin.connect() as connection:
                connection.execute(text(f"CREATE TABLESPACE {name} LOCATION '{location}'"))
                connection.execute(text(f'CREATE DATABASE "{name}" TABLESPACE {name}'))
            try:
                yield make_url(admin_url).set(database=name).render_as_string(hide_password=False), mount
            finally:
                with admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                    connection.execute(text(f"DROP TABLESPACE IF EXISTS {name}"))
    finally:
        admin.dispose()
        mount.rmdir()
