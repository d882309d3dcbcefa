"""The first sync of a WordPress site with N posts from a local replay, then a poll that finds nothing new.

Usage: .venv/bin/python bench/upstreams.py [--n 10000] [--database sqlite|postgresql://...]
The site is tests/articles/upstreams/wordpress_replay.py (WordPress's own generated REST fixtures, each
post with its embedded author, featured image and terms, and a body of a few paragraphs with a link and a
YouTube embed), served for real on 127.0.0.1 by a child process; its pages are rendered before the clock
starts, so the figure is feedsvc's, not the replay's. The sync is the real one (`sync("bench")`: lease,
run record, a page per transaction). Then the same sync again: the aim is one request and no write to the
store (articles, change markers, upstream items) or to the upstream's state.
Aims: first sync >= 500 posts/s; a poll with nothing new = 1 request, 0 store writes. On a shared machine
the wall-clock rate depends on the other processes: the sync's own CPU time is printed too (posts per
CPU-second of this process, which is what the machine's load does not change).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "articles" / "upstreams"))

import requests  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from werkzeug import Request, Response  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402
from wordpress_replay import START, site  # noqa: E402

import config  # noqa: E402
from feedsvc import create_app  # noqa: E402
from feedsvc.articles.upstreams.registry import add_upstream, parse_new_upstream  # noqa: E402
from feedsvc.articles.upstreams.sync import sync  # noqa: E402
from feedsvc.articles.upstreams.wordpress import posts_url, since_watermark  # noqa: E402
from feedsvc.core.db import new_session, upgrade_database  # noqa: E402
from feedsvc.core.models import Article, ChangeMarker, Upstream, UpstreamItem  # noqa: E402

AIM = 500
BODY = ("<p>Operators reported higher inflows in April, the ministry said on Tuesday. See "
        "<a href=\"/reports/inflows\">the report</a> &amp; the tables.</p>"
        "<figure class=\"wp-block-embed\"><iframe title=\"Briefing\" width=\"640\" height=\"360\" "
        "src=\"https://www.youtube.com/embed/i_cVJgIz_Cs?feature=oembed\" frameborder=\"0\" allowfullscreen>"
        "</iframe></figure><p>" + "The cascade of reservoirs on the upper river filled early. " * 12 + "</p>")


class Prerendered:
    """The replay with every answer rendered once, beforehand: the server costs the sync no CPU."""

    def __init__(self, count: int, requests: Any) -> None:
        self.replay = site(count, START)
        for post in self.replay.posts.values():
            post["content"] = {"rendered": BODY, "protected": False}
        self.cache: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.requests = requests  # a multiprocessing.Value shared with the benchmark

    def __call__(self, environ: dict, start_response):
        with self.requests.get_lock():
            self.requests.value += 1
        request = Request(environ)
        key = request.full_path
        if key not in self.cache:
            answer = self.replay.answer(request)
            self.cache[key] = (answer.get_data(), dict(answer.headers))
        body, headers = self.cache[key]
        return Response(body, headers=headers)(environ, start_response)



def run_site(count: int, requests: Any, ports: Any) -> None:
    """The child process: serve the prerendered replay until killed."""
    server = make_server("127.0.0.1", 0, Prerendered(count, requests), threaded=True)
    ports.put(server.server_port)
    server.serve_forever()


def warm(origin: str, count: int) -> None:
    """Have the site render the pages the first sync will ask for (the same cursor URLs)."""
    cursor, fetched = None, 0
    while fetched < count:
        posts = requests.get(posts_url(origin, 1, cursor), timeout=120).json()
        fetched += len(posts) - (1 if cursor else 0)
        if len(posts) < 100:
            break
        cursor = since_watermark(posts[-1]["modified"])


def store_state(app) -> dict:
    """What a poll must not change: counts and revisions of the store, and the upstream's state."""
    with app.app_context(), new_session() as session:
        upstream = session.scalars(select(Upstream)).one()
        return {
            "articles": session.scalar(select(func.count()).select_from(Article)),
            "updated_at": str(session.scalar(select(func.max(Article.updated_at)))),
            "markers": sorted((m.scope, m.revision) for m in session.scalars(select(ChangeMarker))),
            "items": session.scalar(select(func.count()).select_from(UpstreamItem)),
            "upstream": (upstream.watermark, upstream.swept_at, upstream.modified_after),
        }


def machine() -> str:
    """CPU model, cores, OS, Python and SQLite."""
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo
                    if line.startswith("model name")), platform.processor())
    return (f"{cpu}, nproc {len(os.sched_getaffinity(0))}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--database", default="sqlite")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-upstreams-")
    url = f"sqlite:///{workdir}/bench.sqlite3" if args.database == "sqlite" else args.database
    app = create_app(config.TestConfig(DATABASE_URL=url))
    engine = app.extensions["feedsvc.engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade_database(engine, app.config["COUNTRIES"])
    context = multiprocessing.get_context("fork")
    served, ports = context.Value("i", 0), context.Queue()
    child = context.Process(target=run_site, args=(args.n, served, ports), daemon=True)
    child.start()
    origin = f"http://127.0.0.1:{ports.get(timeout=120)}"
    try:
        warm(origin, args.n)
        with app.app_context(), new_session() as session:
            add_upstream(session, parse_new_upstream("bench", origin, "wordpress", (),
                                                     ("category:kazakhstan=kazakhstan",), "15m"),
                         datetime.now(UTC))
            session.commit()
        print(f"machine: {machine()}; database {engine.dialect.name}")
        print(f"load average before: {os.getloadavg()[0]:.1f} (other processes compete for the cores)")
        started, cpu_started = time.perf_counter(), time.process_time()
        with app.app_context():
            first = sync("bench")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        rate = first.counts.created / seconds
        print(f"first sync: {first.counts.created} posts in {seconds:.2f} s = {rate:.0f} posts/s "
              f"({first.requests} requests, outcome {first.outcome}); aim >= {AIM}: "
              f"{'met' if rate >= AIM else 'NOT met'}; CPU {cpu:.2f} s = "
              f"{first.counts.created / cpu:.0f} posts per CPU-second")
        before = store_state(app)
        served.value = 0
        started = time.perf_counter()
        with app.app_context():
            poll = sync("bench")
        poll_ms = (time.perf_counter() - started) * 1000
        unchanged = store_state(app) == before
        print(f"poll with nothing new: {served.value} request(s), {poll.counts.fetched} posts read, "
              f"store and upstream state unchanged: {unchanged}, {poll_ms:.0f} ms; aim 1 request and no "
              f"store write: {'met' if served.value == 1 and unchanged else 'NOT met'}")
        print(json.dumps({"posts": first.counts.created, "seconds": round(seconds, 2),
                          "posts_per_s": round(rate), "posts_per_cpu_s": round(first.counts.created / cpu),
                          "poll_requests": served.value, "poll_store_unchanged": unchanged}))
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        print(f"rerun: .venv/bin/python bench/upstreams.py --n {args.n} --database {args.database}")
    finally:
        child.kill()
        child.join(timeout=10)
        engine.dispose()


if __name__ == "__main__":
    main()
