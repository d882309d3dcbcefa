"""The demo served on two ports at once: every image of its pages and feeds answers 200 on its own port.

Demo images are stored as paths on the site, so one database serves any host, port or proxy path. Real
processes: `feedsvc db upgrade` and `feedsvc demo`, then two gunicorn processes on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from cluster import ROOT, free_port, kill_group, start_group, wait_for_port
from lxml import etree

FEEDSVC = str(Path(sys.executable).parent / "feedsvc")
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
MEDIA = "{http://search.yahoo.com/mrss/}"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
PAGES = ("/", "/kazakhstan", "/kyrgyzstan", "/tajikistan", "/turkmenistan", "/uzbekistan", "/tags/water",
         "/search?q=river")
FEEDS = ("/feeds/all.rss", "/feeds/all.atom", "/feeds/all.json", "/feeds/kazakhstan.rss")


class Images(HTMLParser):
    """Every image URL a page shows or names: img src and srcset, og:image and twitter:image."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "img":
            self.urls.append(found["src"] or "")
            self.urls += [part.split()[0] for part in (found.get("srcset") or "").split(",") if part.strip()]
        if tag == "meta" and (found.get("property") or found.get("name")) in ("og:image", "twitter:image"):
            self.urls.append(found["content"] or "")


def html_images(html: str) -> list[str]:
    """The image URLs of an HTML page or fragment."""
    parser = Images()
    parser.feed(html)
    return parser.urls


def feed_images(path: str, body: bytes) -> list[str]:
    """The image URLs of a feed: media elements, enclosures, JSON Feed images and images in the content."""
    if path.endswith(".json"):
        items = json.loads(body)["items"]
        return [u for item in items for u in [item.get("image"), *html_images(item.get("content_html") or "")]
                if u]
    root = etree.fromstring(body)
    urls = [el.get("url") for el in root.iter(f"{MEDIA}content", f"{MEDIA}thumbnail", "enclosure")]
    contents = [el.text or "" for el in root.iter(CONTENT, f"{ATOM}content")]
    return urls + [u for text in contents for u in html_images(text)]


def fetch(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body of a GET."""
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        return response.status, response.headers.get_content_type(), response.read()


@pytest.fixture(scope="module")
def demo_on_two_ports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """`feedsvc demo` into a fresh SQLite file, served by two gunicorn processes on two ports."""
    directory = tmp_path_factory.mktemp("demo-media")
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDSVC_")}
    env |= {"FEEDSVC_DATABASE_URL": f"sqlite:///{directory / 'demo.sqlite3'}", "FEEDSVC_SCHEDULER": "off"}
    for command in (["db", "upgrade"], ["demo"]):
        subprocess.run([FEEDSVC, *command], env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    nodes: list[subprocess.Popen[bytes]] = []
    origins = []
    try:
        for number in (1, 2):
            port = free_port()
            log = directory / f"gunicorn-{number}.log"
            nodes.append(start_group([GUNICORN, "-b", f"127.0.0.1:{port}", "-w", "1", "wsgi:app"], env, log))
            wait_for_port(port, nodes[-1], log)
            origins.append(f"http://127.0.0.1:{port}")
        yield origins
    finally:
        for proc in nodes:
            kill_group(proc)


def article_paths(origin: str) -> list[str]:
    """Every demo article's page."""
    items = json.loads(fetch(f"{origin}/api/articles?per_page=100")[2])["items"]
    return [urlsplit(item["url"]).path for item in items]


def test_every_image_of_the_demo_answers_on_each_port(demo_on_two_ports) -> None:
    problems: list[str] = []
    for origin in demo_on_two_ports:
        images: set[str] = set()
        for path in (*PAGES, *article_paths(origin)):
            images |= {urljoin(origin + path, u) for u in html_images(fetch(origin + path)[2].decode())}
        for path in FEEDS:
            found = feed_images(path, fetch(origin + path)[2])
            problems += [f"{path} on {origin}: {u} is not on its own origin" for u in found
                         if not u.startswith(origin + "/")]
            images |= set(found)
        assert len(images) >= 15  # the demo's lead images and the one inside a story, at least
        for url in sorted(images):
            status, media_type, body = fetch(url)
            if status != 200 or not media_type.startswith("image/") or not body:
                problems.append(f"{url}: {status} {media_type}")
    assert problems == []
