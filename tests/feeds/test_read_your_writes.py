"""Read-your-writes: after a write, a conditional GET on any gunicorn worker gets the new ETag."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
ROUNDS = 12  # each conditional GET lands on either worker: 12 rounds reach both almost surely


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def two_workers(app, database_urls, db_name) -> Iterator[str]:
    """gunicorn with two sync workers on the test database (tables emptied by ``app``); its origin."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env.update(FEEDSVC_DATABASE_URL=database_urls[db_name], FEEDSVC_SCHEDULER="off")
    server = subprocess.Popen(
        [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    origin = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(f"{origin}/healthz", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start")
        yield origin
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)


@pytest.mark.parametrize("path", ["/feeds/kazakhstan.atom", "/feeds/all.json", "/kazakhstan", "/embed/all"])
def test_a_write_changes_the_etag_at_once_on_every_worker(two_workers, auth_headers, path) -> None:
    url = two_workers + path
    etag = requests.get(url, timeout=10).headers["ETag"]
    for _ in range(2 * ROUNDS):  # both workers have read the marker, and would reuse a memo of it
        assert requests.get(url, headers={"If-None-Match": etag}, timeout=10).status_code == 304
    for number in range(ROUNDS):
        created = requests.post(f"{two_workers}/api/articles", headers=auth_headers, timeout=10,
                                json={"title": f"Story {number}", "countries": ["kazakhstan"]})
        assert created.status_code == 201
        answer = requests.get(url, headers={"If-None-Match": etag}, timeout=10)
        assert answer.status_code == 200, f"round {number}: the old ETag still matched"
        assert answer.headers["ETag"] != etag
        assert f"Story {number}" in answer.text
        etag = answer.headers["ETag"]
