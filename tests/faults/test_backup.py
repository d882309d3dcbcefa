"""``feedsvc db backup`` while the API takes writes, then ``feedsvc db restore`` into a fresh database.

The source database holds what every table may hold (articles with their links, tombstones, a token,
rate observations, an anomaly decided by hand, source-days, runs); writer threads keep creating and
deleting articles through a real HTTP server while the real CLI takes the backup. The restored database
must hold everything acknowledged before the backup began, with the same ids and uuids, answer 410 for
the deleted ids, accept the old token, and hold the rate tables exactly.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import pytest
import requests
from dbfaults import (
    DATABASES,
    FIRST_DAY,
    cli_env,
    fill_initial_schema,
    migrate,
    rows_of,
    run_cli,
    scratch_database,
)

import config
from feedsvc import create_app

RATE_TABLES = ("rate_observations", "rate_anomalies", "rate_source_days", "rate_runs", "rate_served",
               "rate_served_months")
WRITERS = 3
WRITES_BEFORE_BACKUP = 30  # acknowledged writes before the backup starts; they keep running during it


@dataclass
class Writes:
    """Acknowledged writes: (time acknowledged, id, uuid) of created articles, (time, id) of deleted."""

    created: list[tuple[float, int, str]] = field(default_factory=list)
    deleted: list[tuple[float, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def write_articles(origin: str, token: str, writer: int, writes: Writes, stop: threading.Event) -> None:
    """Create articles, deleting every third one again, until ``stop``; note each acknowledgement."""
    headers = {"Authorization": f"Bearer {token}"}
    number = 0
    with requests.Session() as http:
        while not stop.is_set() and number < 500:
            number += 1
            body = {"title": f"Writer {writer}, story {number}", "countries": ["kazakhstan"],
                    "tags": ["water"]}
            created = http.post(f"{origin}/api/articles", json=body, headers=headers, timeout=30)
            if created.status_code != 201:
                writes.failures.append(f"POST {created.status_code}: {created.text[:200]}")
                return
            article = created.json()
            with writes.lock:
                writes.created.append((time.monotonic(), article["id"], article["uuid"]))
            if number % 3 == 0:
                gone = http.delete(f"{origin}/api/articles/{article['id']}", headers=headers, timeout=30)
                if gone.status_code != 204:
                    writes.failures.append(f"DELETE {gone.status_code}: {gone.text[:200]}")
                    return
                with writes.lock:
                    writes.deleted.append((time.monotonic(), article["id"]))


def prepare_source(url: str) -> str:
    """A database with every kind of row, migrated to the newest revision; a token's secret."""
    migrate(url, "0001")
    fill_initial_schema(url, days=60, articles=40)
    accept = ("rates", "accept", "nbk", FIRST_DAY.isoformat(), "KZT", "--by", "desk@example.org")
    for args in (("db", "upgrade"), accept):
        done = run_cli(url, *args)
        assert done.returncode == 0, done.stdout + done.stderr
    created = run_cli(url, "token", "create", "desk-backup")
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


@pytest.mark.parametrize("db_kind", DATABASES)
def test_a_backup_taken_during_writes_restores_everything_acknowledged_before(db_kind, tmp_path,
                                                                              serve_wsgi) -> None:
    with scratch_database(db_kind, tmp_path, "source") as source, \
            scratch_database(db_kind, tmp_path, "restored") as restored:
        token = prepare_source(source)
        app = create_app(config.TestConfig(DATABASE_URL=source))
        writes, stop = Writes(), threading.Event()
        server = serve_wsgi(app)
        origin = next(server)
        threads = [threading.Thread(target=write_articles, args=(origin, token, n, writes, stop), daemon=True)
                   for n in range(WRITERS)]
        try:
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 120
            while len(writes.created) < WRITES_BEFORE_BACKUP and time.monotonic() < deadline:
                time.sleep(0.05)
            began = time.monotonic()
            backup = run_cli(source, "db", "backup", str(tmp_path / "feedsvc.backup"))
            ended = time.monotonic()
            time.sleep(0.5)  # writes go on after the backup too: none of them may be in it
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
            server.close()
            app.extensions["feedsvc.engine"].dispose()
        assert backup.returncode == 0, backup.stderr
        assert not writes.failures, writes.failures
        assert any(at > ended for at, _, _ in writes.created), "no write after the backup: nothing was tested"

        restore = run_cli(restored, "db", "restore", str(tmp_path / "feedsvc.backup"))
        assert restore.returncode == 0, restore.stderr
        assert_restored(source, restored, token, writes, began, ended)


def expected_answers(writes: Writes, began: float, ended: float) -> dict[int, set[int]]:
    """The statuses each written id may answer after the restore, by when its writes were acknowledged.

    Before the backup began: in it. After it ended: not in it. In between: either, as the snapshot fell.
    """
    deleted = dict((article_id, at) for at, article_id in writes.deleted)
    answers = {}
    for at, article_id, _ in writes.created:
        gone = deleted.get(article_id)
        if at > ended:
            answers[article_id] = {404}
        elif gone is not None and gone < began:
            answers[article_id] = {410}
        elif at < began and (gone is None or gone > ended):
            answers[article_id] = {200}
        else:
            answers[article_id] = {200, 404, 410} if at > began else {200, 410}
    return answers


def assert_restored(source: str, restored: str, token: str, writes: Writes, began: float,
                    ended: float) -> None:
    """Everything acknowledged before ``began`` is in ``restored`` as it was; nothing after ``ended``."""
    for table in RATE_TABLES:  # written before the backup, untouched since
        query = f"SELECT * FROM {table}"  # noqa: S608 (constant table names)
        assert sorted(map(str, rows_of(restored, query))) == sorted(map(str, rows_of(source, query))), table
    decisions = rows_of(restored, "SELECT status, decided_by FROM rate_anomalies")
    assert decisions == [("accepted", "desk@example.org")]
    uuids = {article_id: uuid for _, article_id, uuid in writes.created}
    app = create_app(config.TestConfig(DATABASE_URL=restored))
    try:
        client = app.test_client()
        for article_id, allowed in expected_answers(writes, began, ended).items():
            answer = client.get(f"/api/articles/{article_id}")
            assert answer.status_code in allowed, (article_id, answer.status_code, allowed)
            if answer.status_code == 200:
                assert answer.get_json()["uuid"] == uuids[article_id]
        assert client.get("/api/articles/1").get_json()["uuid"] == "00000000-0000-4000-8000-000000000001"
        # The old token still authenticates; the next id is past every id the backup knows.
        known = rows_of(restored, "SELECT MAX(id) FROM articles UNION ALL "
                                  "SELECT MAX(id) FROM deleted_articles")
        created = client.post("/api/articles", json={"title": "Restored", "countries": ["kazakhstan"]},
                              headers={"Authorization": f"Bearer {token}"})
        assert created.status_code == 201, created.get_json()
        assert created.get_json()["id"] > max(value or 0 for (value,) in known)
    finally:
        app.extensions["feedsvc.engine"].dispose()


@pytest.mark.parametrize("db_kind", DATABASES)
def test_a_restore_never_replaces_data_unless_forced_and_then_only_with_a_sound_backup(db_kind,
                                                                                      tmp_path) -> None:
    with scratch_database(db_kind, tmp_path, "kept") as url:
        token = prepare_source(url)
        backup = tmp_path / "feedsvc.backup"
        assert run_cli(url, "db", "backup", str(backup)).returncode == 0
        again = run_cli(url, "db", "backup", str(backup))
        assert again.returncode == 1 and "exists" in again.stderr  # a backup never overwrites one

        refused = run_cli(url, "db", "restore", str(backup))
        assert refused.returncode == 1
        assert "--force" in refused.stderr and "Traceback" not in refused.stderr
        damaged = tmp_path / "damaged.backup"
        damaged.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
        broken = run_cli(url, "db", "restore", "--force", str(damaged))
        assert broken.returncode == 1 and len(broken.stderr.strip().splitlines()) == 1, broken.stderr

        tokens = run_cli(url, "token", "list")
        assert "desk-backup" in tokens.stdout  # the failed restore left the data as it was
        assert rows_of(url, "SELECT COUNT(*) FROM articles") == [(40,)]
        forced = run_cli(url, "db", "restore", "--force", str(backup))
        assert forced.returncode == 0, forced.stderr
        assert rows_of(url, "SELECT COUNT(*) FROM articles") == [(40,)] and token


@pytest.mark.skipif("postgresql" not in DATABASES, reason="PostgreSQL is not among FEEDSVC_TEST_DATABASES")
def test_a_postgresql_backup_without_pg_dump_says_what_to_install(tmp_path) -> None:
    with scratch_database("postgresql", tmp_path, "nodump") as url:
        migrate(url, "0001")
        env = {**cli_env(url), "PATH": str(tmp_path)}  # no pg_dump there
        result = run_cli(url, "db", "backup", str(tmp_path / "feedsvc.backup"), env=env)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: pg_dump not found on PATH: install the PostgreSQL client tools (Debian: postgresql-client) "
        "of the server's major version"]
    assert not (tmp_path / "feedsvc.backup").exists()
