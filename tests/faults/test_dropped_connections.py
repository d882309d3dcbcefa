"""Connections dropped mid-request: ``pg_terminate_backend`` on the app's backends every 0.3 s.

Under a real gunicorn, 600 requests (reads, writes, feeds) answer 200/201 or, when their connection was
killed under them, a 503 in the error shape with Retry-After — never a 500 — and the log holds no
traceback, only a few "database unavailable" lines.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections import Counter

import psycopg
import pytest
from netfaults import Answer, Node, assert_no_traceback
from sqlalchemy import make_url

REQUESTS = 600
KILL_EVERY = 0.3  # seconds
ARTICLE = json.dumps({"title": "Written between kills", "countries": ["kazakhstan"]}).encode()


def kill_backends(url: str, application: str, stop: threading.Event, killed: list[int]) -> None:
    """Terminate every backend named ``application`` each KILL_EVERY seconds until ``stop``."""
    dsn = make_url(url).set(query={}).render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as admin:
        while not stop.wait(KILL_EVERY):
            rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE application_name = %s AND pid <> pg_backend_pid()",
                                 (application,)).fetchall()
            killed.append(len(rows))


def client_requests(node: Node, token: str, count: int, answers: list[tuple[str, Answer]]) -> None:
    """``count`` requests in a mix of reads, feeds and writes."""
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for number in range(count):
        kind = number % 4
        if kind == 0:
            answers.append(("POST", node.send("POST", "/api/articles", auth, ARTICLE)))
        else:
            path = ("/api/articles", "/feeds/all.rss", "/api/articles?q=kills")[kind - 1]
            answers.append((path, node.get(path)))


def test_connections_killed_mid_request_give_503s_never_a_traceback(app_factory, db_name, database_urls,
                                                                     gunicorn, run_prefix) -> None:
    if db_name != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    app = app_factory()
    token = app.test_cli_runner().invoke(args=["token", "create", "kills"]).output.strip()
    application = f"feedsvc-kills-{uuid.uuid4().hex[:8]}"
    url = make_url(database_urls["postgresql"]).update_query_dict({"application_name": application})
    node = gunicorn(url.render_as_string(hide_password=False), run_prefix, workers=2,
                    FEEDSVC_LIMIT_WRITES="100000/minute")
    answers: list[tuple[str, Answer]] = []
    stop, killed = threading.Event(), []
    killer = threading.Thread(target=kill_backends,
                              args=(database_urls["postgresql"], application, stop, killed))
    clients = [threading.Thread(target=client_requests, args=(node, token, REQUESTS // 2, answers))
               for _ in range(2)]
    killer.start()
    try:
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(300)
    finally:
        stop.set()
        killer.join(10)

    statuses = Counter(answer.status for _, answer in answers)
    assert len(answers) == REQUESTS and sum(killed) > 10, (len(answers), sum(killed))
    assert set(statuses) <= {200, 201, 503}, statuses
    for path, answer in answers:
        if answer.status == 503:
            assert json.loads(answer.body)["error"]["status"] == 503, path
            assert int(answer.headers["Retry-After"]) > 0
    output = node.output()
    assert_no_traceback(output)
    assert output.count("database unavailable (") <= 2 * 3, output[-3000:]  # per worker: a line per kind
