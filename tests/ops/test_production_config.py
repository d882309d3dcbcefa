"""Production settings and Host safety: no client's Host in a URL, ETag or cache key; the shipped units.

With FEEDSVC_PUBLIC_URL every request is seen with the public host, also by werkzeug's own redirects and
the error pages; without it (development) a loop over random Host values fills at most a few cache keys.
"""

from __future__ import annotations

import configparser
import http.client
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy.engine import make_url

from config import Config, ConfigError
from feedsvc.core.hosts import MAX_CACHED_HOSTS

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
PUBLIC = "https://news.example.org"
EVIL = "evil.example.net"
# Every kind of answer that carries a URL: pages, feeds, OPML, crawlers, embeds, oEmbed, the API, errors,
# our own redirects (ISO code, old slug, tag case) and werkzeug's (merged slashes), and a 405.
PATHS = [
    "/", "/kazakhstan", "/kz", "/search?q=metro", "/rates", "/tags/transport", "/tags/Transport",
    "/feeds/all.rss", "/feeds/kazakhstan.atom", "/feeds/kz.json", "/feeds.opml", "/robots.txt",
    "/sitemap.xml", "/sitemap-news.xml", "/embed", "/embed/kazakhstan", "/embed/rates",
    f"/oembed?url={PUBLIC}/kazakhstan", "/api/countries", "/api/articles?country=kazakhstan",
    "/nope/nope", "/feeds/all.xml", "//feeds//all.rss", "/rates.json?from=nope", "/healthz",
]


def test_production_refuses_to_start_without_a_public_url() -> None:
    with pytest.raises(ConfigError, match="^FEEDSVC_PUBLIC_URL: required when FEEDSVC_ENV=production"):
        Config({"FEEDSVC_ENV": "production", "FEEDSVC_SECRET_KEY": "k" * 32})
    with pytest.raises(ConfigError, match="^FEEDSVC_SECRET_KEY"):
        Config({"FEEDSVC_ENV": "production", "FEEDSVC_PUBLIC_URL": PUBLIC})
    settings = {"FEEDSVC_ENV": "production", "FEEDSVC_PUBLIC_URL": PUBLIC, "FEEDSVC_SECRET_KEY": "k" * 32}
    assert Config(settings).PUBLIC_URL == PUBLIC
    assert Config({}).PUBLIC_URL is None  # development still starts without one


def get(origin: str, path: str, host: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    """Status, headers and body of a request sent with exactly this Host."""
    connection = http.client.HTTPConnection(origin.removeprefix("http://"), timeout=20)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def count_keys(prefix: str) -> int:
    """How many keys the cache made under ``prefix``."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return sum(1 for _ in client.scan_iter(match=prefix + "*", count=1000))
    finally:
        client.close()


def add_article(app: Flask, token_headers: dict[str, str]) -> int:
    """One article through the API, tagged so that tag pages exist."""
    response = app.test_client().post("/api/articles", headers=token_headers, json={
        "title": "Almaty metro extension opens", "countries": ["kazakhstan"], "tags": ["transport"],
        "summary": "Three stations.",
    })
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


@pytest.fixture
def public_app(app_factory, redis_prefix: str) -> Flask:
    """The app as in production: a public URL, the Redis cache."""
    return app_factory(PUBLIC_URL=PUBLIC, ENV="production", CACHE_URL=REDIS_URL,
                       CACHE_KEY_PREFIX=redis_prefix)


@pytest.fixture
def public_origin(public_app: Flask, serve_wsgi) -> Iterator[str]:
    """The production-like app served for real on loopback (the test client can't send every Host)."""
    yield from serve_wsgi(public_app)


def test_no_host_reaches_a_url_an_etag_or_a_cache_key(public_app, public_origin, auth_headers, redis_prefix):
    article = add_article(public_app, auth_headers)
    paths = [*PATHS, f"/articles/{article}", f"/articles/{article}/old-slug"]
    answers = {path: get(public_origin, path, EVIL) for path in paths}
    for path, (status, headers, body) in answers.items():
        assert status < 500, (path, status)
        text = body + "\n".join(f"{name}: {value}" for name, value in headers.items())
        assert EVIL not in text and "127.0.0.1" not in text, (path, status)
        location = headers.get("Location", "/")
        assert location.startswith(("/", PUBLIC + "/")), (path, location)
    assert answers["//feeds//all.rss"][1]["Location"] == f"{PUBLIC}/feeds/all.rss"  # werkzeug's own
    assert f"{PUBLIC}/articles/{article}/" in answers["/feeds/all.rss"][2]
    assert f'"url":"{PUBLIC}/articles/{article}/' in answers["/api/articles?country=kazakhstan"][2]
    keys = count_keys(redis_prefix)
    for n in range(50):  # other hosts: the same ETags, not one key more
        status, headers, _ = get(public_origin, "/feeds/all.rss", f"h{n}.example.com")
        assert status == 200 and headers["ETag"] == answers["/feeds/all.rss"][1]["ETag"]
        page_etag = get(public_origin, "/kazakhstan", f"h{n}.example.com")[1]["ETag"]
        assert page_etag == answers["/kazakhstan"][1]["ETag"]
    assert count_keys(redis_prefix) == keys > 0


def test_development_bounds_the_cache_keys_of_random_hosts(app_factory, auth_headers, redis_prefix):
    app = app_factory(CACHE_URL=REDIS_URL, CACHE_KEY_PREFIX=redis_prefix)
    add_article(app, auth_headers)
    client = app.test_client()
    for _ in range(1000):
        host = f"{uuid.uuid4().hex[:12]}.example.org"
        response = client.get("/feeds/all.atom", headers={"Host": host})
        assert response.status_code == 200 and f"http://{host}/feeds/all.atom".encode() in response.data
    # The feed's bytes and its last known answer, per host, for the first few hosts only.
    assert count_keys(redis_prefix) == 2 * MAX_CACHED_HOSTS


def test_a_malformed_host_is_still_refused_with_a_public_url(public_app) -> None:
    response = public_app.test_client().get("/feeds/all.rss", headers={"Host": "exa mple.com<script>"})
    assert response.status_code == 400
    assert "Host header" in response.get_json()["error"]["message"]


def units() -> dict[str, configparser.ConfigParser]:
    """The shipped systemd units, parsed."""
    parsed = {}
    for path in sorted((ROOT / "deploy" / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(strict=True, interpolation=None)
        parser.optionxform = str  # type: ignore[assignment,method-assign] # keys are case-sensitive
        parser.read(path)
        parsed[path.name] = parser
    return parsed


def test_systemd_units_run_the_web_and_exactly_one_scheduler() -> None:
    parsed = units()
    assert set(parsed) == {"feedsvc-web.service", "feedsvc-scheduler.service"}
    for name, unit in parsed.items():
        service = unit["Service"]
        assert service["User"] == "feedsvc" and service["Restart"] == "on-failure"
        assert service["EnvironmentFile"] == "/etc/feedsvc/feedsvc.env"
        assert service["WorkingDirectory"] == "/srv/feedsvc"
        assert service["NoNewPrivileges"] == "yes" and service["ProtectSystem"] == "strict", name
        program, *args = service["ExecStart"].split()
        # The venv of the README's recipe, /srv/feedsvc/.venv, holds the scripts pyproject installs.
        assert program.startswith("/srv/feedsvc/.venv/bin/"), program
        assert Path(program).name in {"gunicorn", "feedsvc"}
        assert (Path(sys.executable).parent / Path(program).name).is_file()  # what `pip install` puts there
        for arg in args:
            if arg.startswith("/srv/feedsvc/"):  # every file it names is one the repository ships
                assert (ROOT / arg.removeprefix("/srv/feedsvc/")).parent.is_dir(), arg
    web = parsed["feedsvc-web.service"]["Service"]["ExecStart"].split()
    assert web[1:] == ["-c", "/srv/feedsvc/deploy/gunicorn.conf.py", "wsgi:app"]
    scheduler = parsed["feedsvc-scheduler.service"]
    assert scheduler["Service"]["ExecStart"].split()[1:] == ["scheduler"]
    # The web's ExecStart must never start a scheduler: the web unit sets FEEDSVC_SCHEDULER=off too.
    assert "FEEDSVC_SCHEDULER=off" in parsed["feedsvc-web.service"]["Service"]["Environment"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_analyze_finds_no_mistake(tmp_path: Path) -> None:
    """systemd's own checker, on copies whose paths point at this checkout (there is no /srv/feedsvc)."""
    venv_bin = Path(sys.executable).parent  # this checkout's venv: gunicorn and feedsvc are there
    copies = []
    for path in (ROOT / "deploy" / "systemd").glob("*.service"):
        text = path.read_text().replace("/srv/feedsvc/.venv/bin/", f"{venv_bin}/")
        text = re.sub(r"^(User|Group)=.*$", "", text, flags=re.M)  # no feedsvc user on a test machine
        text = text.replace("EnvironmentFile=", "EnvironmentFile=-")
        copy = tmp_path / path.name
        copy.write_text(text)
        copies.append(str(copy))
    result = subprocess.run(["systemd-analyze", "verify", *copies], capture_output=True, text=True,
                            timeout=60)
    problems = [line for line in result.stderr.splitlines()
                if "feedsvc" in line and "Cannot add dependency job" not in line]
    assert not problems, result.stderr


def test_the_example_environment_holds_no_secret() -> None:
    text = (ROOT / "deploy" / "feedsvc.env.example").read_text()
    settings = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert settings["FEEDSVC_ENV"] == "production" and settings["FEEDSVC_PUBLIC_URL"].startswith("https://")
    assert settings["FEEDSVC_SECRET_KEY"] == ""  # to fill in; the service refuses to start without it
    assert make_url(settings["FEEDSVC_DATABASE_URL"]).password is None  # peer authentication
    config = Config({**settings, "FEEDSVC_SECRET_KEY": "k" * 32})  # checked as written, with a secret
    assert (settings["FEEDSVC_PUBLIC_URL"], 1) == (config.PUBLIC_URL, config.TRUSTED_PROXIES)
