"""Two gunicorn nodes on one PostgreSQL and Redis, behind nginx with the shipped deploy/ configs.

The processes are real (tests/ops/cluster.py): a write through node A shows through node B and through
nginx's cache within the shared-cache lifetime, nginx answers 304s, compresses text, ignores a client's
Host, refuses big bodies and bursts itself, keeps serving from node B once node A is killed, and serves
its last copies once both are.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import runpy
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cluster import (
    GUNICORN_CONF,
    HOST,
    Answer,
    Cluster,
    LoopbackHTTPS,
    fetch,
    free_port,
    node_env,
    tls_context,
)
from redis_keys import drop_keys, prefix_of

from feedsvc.core.http import SHARED_MAX_AGE

pytestmark = pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"),
                                reason="needs Debian's nginx and openssl (scripts/test installs nginx-light)")
FEED = "/feeds/all.atom"


@pytest.fixture(scope="module")
def cluster(database_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Nodes A and B (two workers each) and nginx in front of both; everything killed afterwards."""
    databases = os.environ.get("FEEDSVC_TEST_DATABASES", "sqlite,postgresql")
    if "postgresql" not in [name.strip() for name in databases.split(",")]:
        pytest.skip("the scale-out test runs on PostgreSQL (FEEDSVC_TEST_DATABASES names no postgresql)")
    directory = tmp_path_factory.mktemp("cluster")
    prefix = prefix_of(f"scale-{uuid.uuid4().hex[:12]}:")
    # No FEEDSVC_PUBLIC_URL: nginx alone must keep a client's Host out of URLs and cache keys.
    extra = {"FEEDSVC_LIMIT_WRITES": "100000/minute", "FEEDSVC_LIMIT_RATES": "100000/minute"}
    running = Cluster(directory)
    try:
        for name in ("A", "B"):
            port = free_port()
            running.start_node(name, node_env(database_urls["postgresql"], prefix, port, 2, extra), port)
        running.start_nginx()
        yield running
    finally:
        running.stop()
        drop_keys(prefix)


@pytest.fixture(scope="module")
def token(cluster: Cluster, database_urls: dict[str, str]) -> str:
    """An API token made by ``feedsvc token create``, as an operator would."""
    env = node_env(database_urls["postgresql"], "unused:", 0, 1, {})
    feedsvc = str(Path(sys.executable).with_name("feedsvc"))
    result = subprocess.run([feedsvc, "token", "create", f"scale-{uuid.uuid4().hex[:8]}"], env=env,
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout.strip()


def read_gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, object]:
    """The settings deploy/gunicorn.conf.py defines under ``env`` (gunicorn runs the file the same way)."""
    for name in ("GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_conf_defaults(monkeypatch):
    conf = read_gunicorn_conf(monkeypatch)
    cores = len(os.sched_getaffinity(0))
    assert conf["workers"] == min(2 * cores + 1, conf["MAX_WORKERS"]) and conf["worker_class"] == "gthread"
    assert conf["threads"] == 4
    assert conf["bind"] == "127.0.0.1:8000" and conf["forwarded_allow_ips"] == "127.0.0.1"
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (30, 30, 5)
    assert conf["access_log_format"].endswith("%(M)sms")


def test_gunicorn_conf_takes_the_environment(monkeypatch):
    conf = read_gunicorn_conf(monkeypatch, GUNICORN_BIND="127.0.0.1:8001", WEB_CONCURRENCY="3",
                              GUNICORN_THREADS="2", FORWARDED_ALLOW_IPS="10.0.0.2")
    assert (conf["bind"], conf["workers"], conf["threads"], conf["forwarded_allow_ips"]) == (
        "127.0.0.1:8001", 3, 2, "10.0.0.2")


def via_nginx(cluster: Cluster, method: str, path: str, headers: dict[str, str] | None = None,
              body: bytes | None = None) -> Answer:
    """A request to nginx over TLS, for the shipped host name."""
    conn = LoopbackHTTPS(HOST, cluster.https_port, tls_context(cluster.cert))
    return fetch(conn, method, path, {"Host": HOST, **(headers or {})}, body)


def via_node(cluster: Cluster, name: str, method: str, path: str, headers: dict[str, str] | None = None,
             body: bytes | None = None) -> Answer:
    """A request straight to one gunicorn node, as nginx would send it."""
    conn = http.client.HTTPConnection("127.0.0.1", cluster.nodes[name][0], timeout=10)
    return fetch(conn, method, path, {"Host": HOST, "X-Forwarded-Proto": "https", **(headers or {})}, body)


def post_article(send: Callable[..., Answer], token: str, title: str) -> Answer:
    """Create an article in Kazakhstan's feed."""
    body = json.dumps({"title": title, "countries": ["kazakhstan"]}).encode()
    return send("POST", "/api/articles", {"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"}, body)


def poll_etag(cluster: Cluster, path: str, old: str) -> tuple[Answer, float]:
    """Poll nginx until ``path`` has an ETag other than ``old``, within the shared-cache lifetime + 2 s."""
    started = time.monotonic()
    deadline = started + SHARED_MAX_AGE + 2
    while True:
        answer = via_nginx(cluster, "GET", path)
        if answer.headers["ETag"] != old or time.monotonic() > deadline:
            return answer, time.monotonic() - started
        time.sleep(0.05)


def test_write_through_a_is_seen_through_b_and_nginx(cluster, token):
    first = via_nginx(cluster, "GET", FEED)
    cached = via_nginx(cluster, "GET", FEED)
    assert first.status == cached.status == 200
    assert cached.headers["X-Cache-Status"] != "MISS"  # stored (nginx reads s-maxage)
    assert cached.headers["Strict-Transport-Security"] == "max-age=31536000"
    old = cached.headers["ETag"]
    assert via_node(cluster, "B", "GET", FEED).headers["ETag"] == old

    title = f"Scale-out write {uuid.uuid4().hex[:8]}"
    created = post_article(lambda *a: via_node(cluster, "A", *a), token, title)
    assert created.status == 201, created.body

    on_b = via_node(cluster, "B", "GET", FEED)
    assert on_b.headers["ETag"] != old and title.encode() in on_b.body  # at once: the marker is shared
    fresh, waited = poll_etag(cluster, FEED, old)
    assert fresh.headers["ETag"] == on_b.headers["ETag"], f"nginx served the old feed {waited:.1f} s"
    assert title.encode() in fresh.body


def test_nginx_answers_304_for_a_current_etag(cluster):
    etag = via_nginx(cluster, "GET", FEED).headers["ETag"]
    answer = via_nginx(cluster, "GET", FEED, {"If-None-Match": etag})
    assert answer.status == 304 and answer.body == b""
    assert answer.headers["ETag"] == etag


@pytest.mark.parametrize("path", [FEED, "/", "/api/articles?country=kazakhstan", "/feeds/all.json"])
def test_nginx_compresses_text_and_its_weak_etag_still_revalidates(cluster, token, path):
    for number in range(8):  # answers of more than gzip_min_length (1 KiB)
        post_article(lambda *a: via_node(cluster, "A", *a), token, f"Compressed {number} {uuid.uuid4().hex}")
    packed = via_nginx(cluster, "GET", path, {"Accept-Encoding": "gzip"})  # this variant's first request
    node = via_node(cluster, "B", "GET", path)  # nginx's earlier copy of the plain variant may be stale
    assert (packed.status, node.status, packed.headers["Content-Encoding"]) == (200, 200, "gzip")
    assert gzip.decompress(packed.body) == node.body and len(packed.body) < len(node.body) / 3
    weak = packed.headers["ETag"]
    assert weak == f"W/{node.headers['ETag']}"
    again = via_nginx(cluster, "GET", path, {"Accept-Encoding": "gzip", "If-None-Match": weak})
    assert again.status == 304 and again.body == b""
    assert "Content-Encoding" not in via_nginx(cluster, "GET", path).headers  # only for clients that ask


def test_the_cache_key_and_the_app_never_see_the_clients_host(cluster):
    path = "/feeds/kazakhstan.rss?limit=7"  # a fresh entry: the hostile request fills it
    hostile = via_nginx(cluster, "GET", path, {"Host": "evil.example", "X-Forwarded-Host": "evil.example",
                                               "X-Forwarded-Proto": "http"})
    assert hostile.status == 200 and hostile.headers["X-Cache-Status"] == "MISS"
    assert b"evil.example" not in hostile.body
    assert f"https://{HOST}/".encode() in hostile.body
    canonical = via_nginx(cluster, "GET", path)
    assert canonical.headers["X-Cache-Status"] != "MISS"  # one entry, whatever Host filled it
    assert canonical.headers["ETag"] == hostile.headers["ETag"] and canonical.body == hostile.body


def test_plain_http_redirects_to_the_canonical_host(cluster):
    conn = http.client.HTTPConnection("127.0.0.1", cluster.http_port, timeout=10)
    answer = fetch(conn, "GET", FEED, {"Host": "evil.example"})
    assert answer.status == 301
    assert answer.headers["Location"] == f"https://{HOST}{FEED}"


def test_a_body_over_one_mib_is_refused_by_nginx(cluster, token):
    body = b'{"title": "' + b"x" * (1024 * 1024) + b'"}'
    answer = via_nginx(cluster, "POST", "/api/articles", {"Authorization": f"Bearer {token}",
                                                         "Content-Type": "application/json"}, body)
    assert answer.status == 413
    assert json.loads(answer.body)["error"]["message"] == "the request body is larger than 1 MiB"


def test_the_cache_keeps_one_variant_per_accept_header(cluster):
    path = "/rates.json?from=2021-01-01&to=2021-01-31"
    as_json = [via_nginx(cluster, "GET", path, {"Accept": "application/json"}) for _ in range(2)]
    as_csv = via_nginx(cluster, "GET", path, {"Accept": "text/csv"})
    assert [a.headers["Content-Type"].split(";")[0] for a in (*as_json, as_csv)] == [
        "application/json", "application/json", "text/csv"]
    assert as_json[1].headers["X-Cache-Status"] != "MISS" and as_csv.headers["X-Cache-Status"] != "HIT"


def test_a_burst_of_rate_queries_is_limited_by_nginx(cluster):
    answers = [via_nginx(cluster, "GET", f"/rates.csv?from=2020-01-0{1 + i % 9}") for i in range(30)]
    statuses = [answer.status for answer in answers]
    assert statuses[0] != 429 and 429 in statuses, statuses
    limited = next(answer for answer in answers if answer.status == 429)
    assert limited.headers["Retry-After"] == "1"
    assert json.loads(limited.body)["error"]["status"] == 429


def test_api_reads_with_a_token_never_come_from_the_cache(cluster, token):
    path = "/api/articles?country=kazakhstan&per_page=3"
    via_nginx(cluster, "GET", path)
    assert via_nginx(cluster, "GET", path).headers["X-Cache-Status"] != "MISS"  # anonymous: stored
    editor = via_nginx(cluster, "GET", path, {"Authorization": f"Bearer {token}"})
    assert editor.status == 200 and editor.headers["X-Cache-Status"] == "BYPASS"
    assert editor.headers["Cache-Control"] == "private, no-store"


def test_killing_node_a_leaves_nginx_serving_from_b(cluster, token):
    cluster.kill_node("A")
    answers = [via_nginx(cluster, "GET", f"/api/articles?per_page={n}") for n in range(1, 11)]
    # Each URL is new to the cache: each answer came from a node, and node A is gone.
    assert [(a.status, a.headers["X-Cache-Status"]) for a in answers] == [(200, "MISS")] * 10
    title = f"Written with node A dead {uuid.uuid4().hex[:8]}"
    created = post_article(lambda *a: via_nginx(cluster, *a), token, title)
    assert created.status == 201, created.body
    assert title.encode() in via_node(cluster, "B", "GET", FEED).body


def test_with_every_node_dead_nginx_serves_its_last_copy(cluster):
    assert via_nginx(cluster, "GET", FEED).status == 200  # a copy from node B
    cluster.kill_node("B")
    deadline = time.monotonic() + SHARED_MAX_AGE + 3
    answer = via_nginx(cluster, "GET", FEED)
    while answer.headers["X-Cache-Status"] != "STALE" and time.monotonic() < deadline:
        time.sleep(0.1)  # within s-maxage nginx answers HIT without asking a node
        answer = via_nginx(cluster, "GET", FEED)
    assert (answer.status, answer.headers["X-Cache-Status"]) == (200, "STALE")
    assert via_nginx(cluster, "GET", "/feeds/all.atom?limit=3").status == 502  # nothing to fall back on
