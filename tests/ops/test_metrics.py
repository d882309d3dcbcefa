"""/metrics: counts that follow real requests, the rates read from the database, who may scrape, gunicorn.

The multiprocess test starts a real gunicorn with two workers (deploy/gunicorn.conf.py, whose hook calls
child_exit) and shows one scrape summing what every worker counted, also a worker that has gone.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session

import config
from config import Config, ConfigError
from feedsvc import create_app
from feedsvc.core.metrics import child_exit
from feedsvc.core.models import RateAnomaly, RateObservation, RateRun

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape by name and sorted labels."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(scrape: dict, name: str, **labels: str) -> float:
    """One sample's value (0 when absent: a counter not yet incremented)."""
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


def scrape(client, **headers: str) -> dict:
    """The parsed /metrics of a client that may read it."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    return samples(response.get_data(as_text=True))


def test_counts_follow_real_requests(app_factory, auth_headers) -> None:
    client = app_factory(METRICS_ALLOW=LOOPBACK).test_client()
    client.post("/api/articles", headers=auth_headers, json={"title": "Metro", "countries": ["kazakhstan"]})
    before = scrape(client)
    first = client.get("/feeds/all.atom")
    client.get("/feeds/all.atom")  # the same bytes again: a byte-cache hit
    assert client.get("/feeds/all.atom", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    client.get("/nope/nope")
    after = scrape(client)
    feed = {"endpoint": "feeds.get_feed"}
    assert value(after, "feedsvc_http_requests_total", **feed, status="200") \
        - value(before, "feedsvc_http_requests_total", **feed, status="200") == 2
    assert value(after, "feedsvc_http_requests_total", **feed, status="304") \
        - value(before, "feedsvc_http_requests_total", **feed, status="304") == 1
    assert value(after, "feedsvc_http_request_duration_seconds_count", **feed) \
        - value(before, "feedsvc_http_request_duration_seconds_count", **feed) == 3
    assert value(after, "feedsvc_http_requests_total", endpoint="web.show_country", status="404") >= 1 \
        or value(after, "feedsvc_http_requests_total", endpoint="unmatched", status="404") >= 1
    for result, change in (("hit", 1), ("miss", 1)):
        assert value(after, "feedsvc_byte_cache_lookups_total", result=result) \
            - value(before, "feedsvc_byte_cache_lookups_total", result=result) == change
    # The previous scrape is counted too: the metrics endpoint is an endpoint like any other.
    assert value(after, "feedsvc_http_requests_total", endpoint="metrics", status="200") >= 1


def add_rates(app: Flask, today: date) -> None:
    """Observations (one source fresh, one old), runs of every outcome, refused and held values."""
    now = datetime.now(UTC)
    with Session(app.extensions["feedsvc.engine"]) as session, session.begin():
        for source, day in (("currency-api", today - timedelta(days=1)), ("nbk", today - timedelta(days=20))):
            session.add(RateObservation(source=source, date=day, currency="KZT",
                                        units_per_usd=Decimal("500.12"), fetched_at=now))
        outcomes = ((None, now), (None, now), ("HTTP 503", now), ("interrupted", now), (None, None))
        for error, finished in outcomes:
            session.add(RateRun(source="nbk", job="update", started_at=now, finished_at=finished,
                                rows_written=1, error=error))
        for n, status in enumerate(("refused", "refused", "held", "confirmed")):
            session.add(RateAnomaly(source="nbk", date=today - timedelta(days=n), currency="KZT",
                                    value=Decimal("900"), reason="jump", status=status, recorded_at=now))


def test_rates_are_read_from_the_database_when_scraped(app_factory) -> None:
    app = app_factory(METRICS_ALLOW=LOOPBACK, RATES_SOURCES=("nbk", "currency-api", "cbu"))
    today = datetime.now(UTC).date()
    add_rates(app, today)
    metrics = scrape(app.test_client())
    assert value(metrics, "feedsvc_rate_figures_ok") == 1
    midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
    for source, days in (("currency-api", 1), ("nbk", 20)):
        age = value(metrics, "feedsvc_rate_last_observation_age_seconds", source=source)
        expected = (datetime.now(UTC) - midnight).total_seconds() + days * 86400
        assert abs(age - expected) < 60, source
    assert value(metrics, "feedsvc_rate_last_observation_age_seconds", source="cbu") == float("inf")
    stale = {source: value(metrics, "feedsvc_rate_source_stale", source=source)
             for source in ("nbk", "currency-api", "cbu")}
    assert stale == {"nbk": 1.0, "currency-api": 0.0, "cbu": 1.0}
    runs = {outcome: value(metrics, "feedsvc_rate_runs_total", source="nbk", outcome=outcome)
            for outcome in ("ok", "error", "interrupted", "running")}
    assert runs == {"ok": 2, "error": 1, "interrupted": 1, "running": 1}
    assert value(metrics, "feedsvc_rate_values_waiting", source="nbk", status="refused") == 2
    assert value(metrics, "feedsvc_rate_values_waiting", source="nbk", status="held") == 1
    assert value(metrics, "feedsvc_rate_values_waiting", source="nbk", status="confirmed") == 0


def test_only_a_token_or_an_allowed_address_may_scrape(app_factory, auth_headers) -> None:
    closed = app_factory().test_client()
    not_found = closed.get("/nope-nope")
    for headers in ({}, {"Authorization": "Bearer fsv_not-a-token"}, {"Authorization": "Basic eDp5"}):
        response = closed.get("/metrics", headers=headers)
        assert response.status_code == 404
        assert response.data == not_found.data.replace(b"nope-nope", b"metrics")  # like any unknown page
    assert "feedsvc_http_requests_total" in str(scrape(closed, **auth_headers))
    assert scrape(app_factory(METRICS_ALLOW=LOOPBACK).test_client())  # the test client is 127.0.0.1
    elsewhere = app_factory(METRICS_ALLOW=(ipaddress.ip_network("10.0.0.0/8"),)).test_client()
    assert elsewhere.get("/metrics").status_code == 404
    # Behind a proxy the client's own address counts, never the proxy's.
    proxied = app_factory(METRICS_ALLOW=LOOPBACK, TRUSTED_PROXIES=1).test_client()
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404
    assert proxied.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 200


def test_bad_metrics_settings_stop_the_service(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="^FEEDSVC_METRICS_ALLOW"):
        Config({"FEEDSVC_METRICS_ALLOW": "127.0.0.1, localhost"})
    with pytest.raises(ConfigError, match="^PROMETHEUS_MULTIPROC_DIR"):
        Config({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "missing")})
    config = Config({"FEEDSVC_METRICS_ALLOW": "127.0.0.1, 10.0.0.0/8, ::1"})
    assert [str(net) for net in config.METRICS_ALLOW] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]


def test_the_alert_rules_name_metrics_that_exist(app_factory) -> None:
    app = app_factory(METRICS_ALLOW=LOOPBACK)
    add_rates(app, datetime.now(UTC).date())
    client = app.test_client()
    client.get("/robots.txt")  # a request counted before the scrape
    names = {name for name, _ in scrape(client)}
    rules = yaml.safe_load((ROOT / "deploy" / "alerts" / "feedsvc.rules.yml").read_text())
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {"FeedsvcRateSourceStale", "FeedsvcRateSourceSilent"} <= {rule["alert"] for rule in alerts}
    for rule in alerts:
        assert rule["labels"]["severity"] and rule["annotations"]["summary"]
        used = {word for word in rule["expr"].replace("(", " ").replace("{", " ").split()
                if word.startswith("feedsvc_")}
        assert used and used <= names, used - names


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, token: str | None = None) -> tuple[int, str]:
    """Status and body of a GET."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


@pytest.fixture
def gunicorn(database_urls, db_name, token, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn wsgi:app with two workers and PROMETHEUS_MULTIPROC_DIR, on a free port; stopped after.

    ``token`` comes first: its app empties the tables, then stores the token gunicorn's workers check.
    """
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    conf = ROOT / "deploy" / "gunicorn.conf.py"  # the shipped settings, with their child_exit hook
    env = {**os.environ, "FEEDSVC_DATABASE_URL": database_urls[db_name], "FEEDSVC_SCHEDULER": "off",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "FEEDSVC_LIMIT_RATES": "off",
           "FEEDSVC_LIMIT_WRITES": "off", "FEEDSVC_LIMIT_AUTH_FAILURES": "off"}
    env.pop("FEEDSVC_METRICS_ALLOW", None)
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", str(conf), "wsgi:app"],
                               cwd=ROOT, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    origin = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while fetch_or_none(origin + "/robots.txt") != 200:
            assert process.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield origin, metrics_dir
    finally:
        stop_group(process)


def fetch_or_none(url: str) -> int | None:
    """The status of a GET, or None while nothing answers."""
    try:
        return fetch(url)[0]
    except OSError:
        return None


def stop_group(process: subprocess.Popen) -> None:
    """Stop gunicorn and its workers (its own process group), killing them if they linger."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    process.stderr.close()  # type: ignore[union-attr]


def worker_pids(metrics_dir: Path) -> set[int]:
    """The workers that wrote a counter, from the files prometheus_client names after them."""
    return {int(path.stem.rsplit("_", 1)[1]) for path in metrics_dir.glob("counter_*.db")}


def robots_count(origin: str, token: str) -> float:
    """The summed count of 200s of /robots.txt in one scrape."""
    status, text = fetch(origin + "/metrics", token)
    assert status == 200
    return sum(v for (name, labels), v in samples(text).items()
               if name == "feedsvc_http_requests_total" and ("endpoint", "sitemaps.get_robots") in labels
               and ("status", "200") in labels)


def test_gunicorn_workers_are_summed_in_one_scrape(gunicorn, token) -> None:
    origin, metrics_dir = gunicorn
    assert fetch(origin + "/metrics")[0] == 404  # no token, no allowed address
    sent = 1  # the start-up probe
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(20):  # until both workers have answered something (bounded)
            assert all(status == 200 for status in pool.map(lambda _: fetch(origin + "/robots.txt")[0],
                                                            range(20)))
            sent += 20
            if len(worker_pids(metrics_dir)) >= 2:
                break
    assert len(worker_pids(metrics_dir)) >= 2
    assert robots_count(origin, token) == sent
    gone = min(worker_pids(metrics_dir))
    os.kill(gone, signal.SIGTERM)  # gunicorn replaces it; child_exit runs; its counts stay
    deadline = time.monotonic() + 30
    while len(worker_pids(metrics_dir)) < 3 and time.monotonic() < deadline:
        try:
            assert fetch(origin + "/robots.txt")[0] == 200
        except (ConnectionResetError, http.client.RemoteDisconnected):
            # A gthread worker told to stop drops the connections it accepted but had not read yet:
            # such a request never reached the app, so it is not counted.
            continue
        sent += 1
    assert robots_count(origin, token) == sent


def test_child_exit_without_a_multiprocess_directory_does_nothing(monkeypatch, tmp_path: Path) -> None:
    """gunicorn.conf.py calls it whether or not PROMETHEUS_MULTIPROC_DIR is set."""
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    child_exit(None, SimpleNamespace(pid=12345))  # no error
    live = tmp_path / "gauge_livesum_12345.db"
    live.write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    child_exit(None, SimpleNamespace(pid=12345))
    assert not live.exists()


def test_a_database_outage_leaves_the_request_metrics(caplog) -> None:
    """Nothing listens on port 1: the rates can't be read, the scrape still answers."""
    broken = create_app(config.TestConfig(DATABASE_URL="postgresql://postgres@127.0.0.1:1/none",
                                   METRICS_ALLOW=LOOPBACK))
    client = broken.test_client()
    client.get("/robots.txt")
    metrics = scrape(client)
    assert value(metrics, "feedsvc_rate_figures_ok") == 0
    assert value(metrics, "feedsvc_http_requests_total", endpoint="sitemaps.get_robots", status="200") == 1
    assert "the rates' figures could not be read: OperationalError" in caplog.text
    broken.extensions["feedsvc.engine"].dispose()
