"""The widget scripts: headers, conditional GET, size, and what their source must never contain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import feedsvc.embed
from feedsvc.embed.scripts import WIDGETS, script_source

STATIC = Path(feedsvc.embed.__file__).parent / "static"
SCRIPTS = ["/embed/v1/headlines.js", "/embed/v1/rates.js", "/embed/v1/frame.js"]
NAMES = ["headlines.js", "rates.js", "frame.js", "height.js"]


def browser_source(name: str) -> str:
    """What a browser gets: a public script as served (a widget with the shared part), or our frames' own."""
    return (STATIC / name).read_text(encoding="utf-8") if name == "height.js" else script_source(name)


@pytest.mark.parametrize("path", SCRIPTS)
def test_script_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/javascript; charset=utf-8"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "public, max-age=300, s-maxage=1, stale-if-error=86400"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["ETag"]
    assert b"use strict" in response.data


@pytest.mark.parametrize("path", SCRIPTS)
def test_script_conditional_get(client, path):
    etag = client.get(path).headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_scripts_differ_in_etag(client):
    assert len({client.get(path).headers["ETag"] for path in SCRIPTS}) == len(SCRIPTS)


@pytest.mark.parametrize("name", NAMES)
def test_script_is_small(name):
    assert len(browser_source(name).encode("utf-8")) <= 10 * 1024


@pytest.mark.parametrize("name", NAMES)
def test_script_never_parses_html_or_evaluates(name):
    source = browser_source(name)
    for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                   "new Function", "setAttribute(\"style\"", ".style.", "document.cookie", "localStorage"):
        assert banned not in source, banned
    if "fetch(" in source:
        assert source.count("fetch(") == source.count('credentials: "omit"')
    # every URL it requests is relative to its own src: no host is written into the file
    assert not re.search(r"https?://(?!NEWS\.EXAMPLE)", source)


def test_unknown_script_is_json_404(client):
    response = client.get("/embed/v1/missing.js")
    assert response.status_code == 404
    assert response.get_json()["error"]["status"] == 404


@pytest.mark.parametrize("name", ["headlines.js", "rates.js"])
def test_each_widget_is_served_whole_with_the_shared_part(client, name):
    served = client.get(f"/embed/v1/{name}").get_data(as_text=True)
    assert served == script_source(name)
    shared = (WIDGETS / "common.js").read_text(encoding="utf-8")
    assert served.count(shared) == 1 and "include common.js" not in served
    assert served.startswith("/* feedsvc ") and served.rstrip().endswith("})();")
